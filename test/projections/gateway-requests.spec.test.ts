import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayRequestStream } from '../../domain/gateway/gateway-request.js';
import { PostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.js';
import { eventually } from '../contract/message-bus.contract.js';
import { createLogger } from '../../infrastructure/logging/logger.js';
import { projectionNamed } from '../../projections/catalog.js';
import { rebuildProjection } from '../../projections/rebuild.js';
import type { GatewayRequestRecordedData } from '../../domain/gateway/gateway-request.js';
import { gatewayRequestsProjection } from '../../projections/read-models/gateway-requests.js';
import { projectionSpecification } from '../support/projection-spec.js';
import { needs, openTestDatabase } from '../support/services.js';

const skip = needs('postgres').skip;

const request = (requestId: string, changes: Partial<GatewayRequestRecordedData> = {}): GatewayRequestRecordedData => ({
  requestId,
  clientId: 'c-1',
  keyId: 'k-1',
  userId: null,
  userRefHash: 'h-1',
  endpoint: 'chat.completions',
  streamed: false,
  model: 'gpt-test',
  aiServiceId: 's-1',
  analysisId: `a-${requestId}`,
  decision: 'allow',
  outcome: 'completed',
  providerStatus: 200,
  tokensIn: 12,
  tokensOut: 30,
  tokenSource: 'provider',
  latencyMs: 87,
  findings: { input: [], output: [] },
  ...changes,
});

const recorded = (data: GatewayRequestRecordedData, recordedAt?: string) => ({
  stream: `gateway-request/${data.requestId}`,
  type: 'GatewayRequestRecorded',
  data,
  ...(recordedAt ? { recordedAt } : {}),
});

/** The gateway-requests read model as a projection spec: given these events, then these rows. */
describe.skipIf(skip)(`the gateway-requests projection, given events${skip ? ' (skipped: no postgres)' : ''}`, () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    database = await openTestDatabase('gwspec');
  });
  afterAll(() => database?.drop());

  it('keeps one row per request with who, where, what it cost and when, however often it is applied', async () => {
    const spec = projectionSpecification(database, gatewayRequestsProjection).given([
      recorded(request('r-1'), '2026-03-01T23:59:59.000Z'),
    ]);
    const row = {
      request_id: 'r-1',
      client_id: 'c-1',
      key_id: 'k-1',
      ai_service_id: 's-1',
      model: 'gpt-test',
      user_ref_hash: 'h-1',
      outcome: 'completed',
      decision: 'allow',
      tokens_in: 12,
      tokens_out: 30,
      latency_ms: 87,
      redacted: false,
      blocked: false,
      recorded_at: new Date('2026-03-01T23:59:59.000Z'),
    };
    await spec.then('gateway_requests', [row]);
    await spec.then('gateway_requests', [row]);
  });

  it('counts a request as blocked by its outcome or by the decision, and as redacted by the decision or a finding', async () => {
    await projectionSpecification(database, gatewayRequestsProjection)
      .given([
        recorded(request('r-1', { outcome: 'blocked', decision: 'block', tokensOut: 0 })),
        // The answer was blocked by the output policy: the input's decision was allow.
        recorded(request('r-2', { outcome: 'blocked', decision: 'allow' })),
        recorded(
          request('r-3', {
            decision: 'redact',
            findings: { input: [{ entity: 'US_SSN', action: 'redact', count: 1 }], output: [] },
          }),
        ),
        // A secret the model produced, redacted in the answer only.
        recorded(
          request('r-4', {
            decision: 'warn',
            findings: { input: [], output: [{ entity: 'API_KEY', action: 'redact', count: 2 }] },
          }),
        ),
        recorded(
          request('r-5', {
            decision: 'warn',
            findings: { input: [{ entity: 'PERSON', action: 'warn', count: 1 }], output: [] },
          }),
        ),
        // Refused before routing and analysis: no service, no decision.
        recorded(
          request('r-6', {
            outcome: 'unapproved-model',
            aiServiceId: null,
            analysisId: null,
            decision: null,
            keyId: null,
            userRefHash: null,
            tokensIn: 0,
            tokensOut: 0,
            providerStatus: null,
            tokenSource: 'none',
          }),
        ),
      ])
      .then(
        'gateway_requests',
        [
          { request_id: 'r-1', blocked: true, redacted: false },
          { request_id: 'r-2', blocked: true, redacted: false },
          { request_id: 'r-3', blocked: false, redacted: true },
          { request_id: 'r-4', blocked: false, redacted: true },
          { request_id: 'r-5', blocked: false, redacted: false },
          {
            request_id: 'r-6',
            outcome: 'unapproved-model',
            ai_service_id: null,
            decision: null,
            key_id: null,
            user_ref_hash: null,
            blocked: false,
            redacted: false,
          },
        ],
        'request_id',
      );
  });

  it('is in the catalog, so that a rebuild (npm run projections -- rebuild --all) fills it again from the log', async () => {
    expect(projectionNamed('gateway-requests')).toBe(gatewayRequestsProjection);
    const store = new PostgresEventStore(database);
    const tenantId = randomUUID();
    let last = '';
    for (const data of [request('q-1'), request('q-2', { clientId: 'c-2', outcome: 'blocked', decision: 'block' })]) {
      const streamId = gatewayRequestStream(tenantId, data.requestId);
      const written = await store.append(
        streamId,
        [
          {
            type: 'GatewayRequestRecorded',
            data,
            metadata: { tenantId, actorId: 'gateway', correlationId: 'c', clientId: data.clientId },
          },
        ],
        { expectedRevision: 'no_stream' },
      );
      last = written.position;
    }
    // An event is visible once every older transaction on the server has ended (another file's may hold it back).
    await eventually(async () => (await store.headPosition()) >= last, 'the appended events to become visible', 30_000);
    await rebuildProjection({
      projection: gatewayRequestsProjection,
      eventStore: store,
      database,
      logger: createLogger({ level: 'silent', format: 'json' }),
    });
    const { rows } = await sql<{ request_id: string; client_id: string; blocked: boolean }>`
      select request_id, client_id, blocked from gateway_requests where tenant_id = ${tenantId} order by request_id`.execute(
      database.db,
    );
    expect(rows).toEqual([
      { request_id: 'q-1', client_id: 'c-1', blocked: false },
      { request_id: 'q-2', client_id: 'c-2', blocked: true },
    ]);
    // The swapped-in table keeps its row-level security.
    const { rows: policies } = await sql<{ policyname: string }>`
      select policyname from pg_policies where tablename = 'gateway_requests' and schemaname = current_schema() order by 1`.execute(
      database.db,
    );
    expect(policies.map((p) => p.policyname)).toEqual(['projector', 'reader']);
  });
});
