/**
 * The gateway's usage, read through HTTP: GET /ai-usage and the MSP summary's gatewayUsage. The gateway itself is
 * built elsewhere, so the requests it records are appended here the way its command does: a GatewayRequestRecorded
 * decided by gatewayRequestDecider, in its own stream, with the client in the event's metadata.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  gatewayRequestDecider,
  gatewayRequestStream,
  type GatewayRequestRecordedData,
} from '../../domain/gateway/gateway-request.js';
import { clientOf } from '../../domain/ownership.js';
import { openDatabase } from '../../infrastructure/database/database.js';
import { PostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { needs, services } from '../support/services.js';
import { createClient } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface Totals {
  requests: number;
  tokensIn: number;
  tokensOut: number;
  blocked: number;
  redacted: number;
}
interface UsageDay extends Totals {
  clientId: string;
  aiServiceId: string | null;
  model: string;
  day: string;
}
interface Usage {
  data: UsageDay[];
  meta: {
    total: number;
    page: number;
    size: number;
    pages: number;
    asOf?: string;
    position?: string;
    totals: Totals;
    topUsers: Array<{ userRefHash: string; requests: number; tokens: number }>;
  };
}
interface GatewayUsage extends Totals {
  topServices: Array<{ aiServiceId: string; name: string | null; requests: number }>;
}
interface Summary {
  data: Array<{ clientId: string; gatewayUsage: GatewayUsage }>;
  meta: { asOf?: string };
}

const NOTHING: Totals = { requests: 0, tokensIn: 0, tokensOut: 0, blocked: 0, redacted: 0 };

describe.skipIf(skip)(
  `AI usage through the gateway, over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`,
  () => {
    let ledger: TestLedger;
    let admin: Awaited<ReturnType<TestLedger['signUp']>>;
    let other: Awaited<ReturnType<TestLedger['signUp']>>;
    let database: Awaited<ReturnType<typeof openDatabase>>;
    let alpha: string;
    let beta: string;
    const services4: string[] = [];
    /** The log position of the last request recorded: the read models are asked to have reached it. */
    let lastPosition = '';
    /** A moment between the requests recorded before it and after it (all in the current month). */
    let moment = '';
    /** The log position of the last request recorded before `moment`. */
    let momentPosition = '';

    /** Records one gateway request as the gateway's command does, at `at` (the store's clock) or now. */
    async function record(changes: Partial<GatewayRequestRecordedData> & { clientId: string }, at?: string) {
      const requestId = randomUUID();
      const [event] = gatewayRequestDecider.decide(
        {
          type: 'RecordGatewayRequest',
          requestId,
          keyId: randomUUID(),
          userId: null,
          userRefHash: null,
          endpoint: 'chat.completions',
          streamed: false,
          model: 'gpt-test',
          aiServiceId: services4[0]!,
          analysisId: randomUUID(),
          decision: 'allow',
          outcome: 'completed',
          providerStatus: 200,
          tokensIn: 10,
          tokensOut: 20,
          tokenSource: 'provider',
          latencyMs: 42,
          findings: { input: [], output: [] },
          ...changes,
        },
        gatewayRequestDecider.initialState(),
      );
      const streamId = gatewayRequestStream(admin.tenantId, requestId);
      const store = new PostgresEventStore(database, at ? { now: () => new Date(at) } : {});
      const written = await store.append(
        streamId,
        [
          {
            type: event!.type,
            data: event!.data,
            metadata: {
              tenantId: admin.tenantId,
              actorId: 'gateway',
              correlationId: randomUUID(),
              causationId: null,
              clientId: clientOf(streamId, event!.data),
            },
          },
        ],
        { expectedRevision: 'no_stream' },
      );
      lastPosition = written.position;
      return written.position;
    }

    const get = <T>(path: string, token = admin.accessToken) =>
      ledger.request<T>('GET', path, { token, headers: { 'X-Min-Position': lastPosition } });
    const usage = async (query: string, token = admin.accessToken) => {
      const answer = await get<Usage>(`/ai-usage${query}`, token);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return answer.body;
    };
    /** Waits (a millisecond or two) until the clock has passed `time`: what is recorded next is later than it. */
    const after = (time: string) => {
      while (Date.now() <= Date.parse(time)) {
        /* the next millisecond */
      }
    };

    const monthStart = () => {
      const now = new Date();
      return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    };

    beforeAll(async () => {
      ledger = await startTestLedger({ env: { QUERY_WAIT_MS: '10000' } });
      admin = await ledger.signUp();
      other = await ledger.signUp('other');
      database = await openDatabase({
        kind: 'postgres',
        url: services.databaseUrl!,
        schema: ledger.config.DATABASE_SCHEMA,
        poolSize: 1,
      });
      alpha = await createClient(ledger, admin.accessToken, 'Alpha Clinic');
      beta = await createClient(ledger, admin.accessToken, 'Beta Dental');
      for (const name of ['One AI', 'Two AI', 'Three AI', 'Four AI']) {
        const registered = await ledger.request<{ data: { aiServiceId: string } }>('POST', '/ai-services', {
          token: admin.accessToken,
          body: { name, vendor: 'V', models: ['gpt-test'], baaSigned: true, dpaSigned: true, dataRetentionDays: 0 },
        });
        expect(registered.status).toBe(201);
        services4.push(registered.body.data.aiServiceId);
      }
      const [one, two, three, four] = services4 as [string, string, string, string];

      // June 2025, across a UTC midnight: for the days, the services, the models and the top users.
      await record(
        { clientId: alpha, aiServiceId: one, model: 'gpt-a', userRefHash: 'ann', tokensIn: 10, tokensOut: 20 },
        '2025-06-10T08:00:00Z',
      );
      await record(
        {
          clientId: alpha,
          aiServiceId: one,
          model: 'gpt-a',
          userRefHash: 'ann',
          tokensIn: 5,
          tokensOut: 0,
          outcome: 'blocked',
          decision: 'block',
        },
        '2025-06-10T23:30:00Z',
      );
      await record(
        {
          clientId: alpha,
          aiServiceId: one,
          model: 'gpt-b',
          userRefHash: 'bob',
          tokensIn: 7,
          tokensOut: 3,
          decision: 'redact',
          findings: { input: [{ entity: 'US_SSN', action: 'redact', count: 1 }], output: [] },
        },
        '2025-06-10T12:00:00Z',
      );
      await record(
        { clientId: alpha, aiServiceId: two, model: 'gpt-a', userRefHash: 'bob', tokensIn: 1, tokensOut: 2 },
        '2025-06-11T00:30:00Z',
      );
      await record(
        {
          clientId: alpha,
          aiServiceId: null,
          model: 'shadow-model',
          userRefHash: 'ann',
          tokensIn: 0,
          tokensOut: 0,
          outcome: 'unapproved-model',
          decision: null,
          analysisId: null,
          providerStatus: null,
          tokenSource: 'none',
        },
        '2025-06-11T01:00:00Z',
      );
      await record(
        { clientId: beta, aiServiceId: one, model: 'gpt-a', userRefHash: 'cat', tokensIn: 100, tokensOut: 100 },
        '2025-06-10T09:00:00Z',
      );

      // The last second of the month before this one: never in this month's figures.
      const lastMonth = new Date(monthStart().getTime() - 1000).toISOString();
      for (let i = 0; i < 4; i++) await record({ clientId: alpha, aiServiceId: four }, lastMonth);

      // This month, now: 4, 3, 2 and 1 requests to the four services and one to an unapproved model; one blocked, one
      // redacted (in the answer). Then, after `moment`, three more to the third service.
      const thisMonth: Array<Partial<GatewayRequestRecordedData>> = [
        { aiServiceId: one },
        { aiServiceId: one },
        { aiServiceId: one, findings: { input: [], output: [{ entity: 'API_KEY', action: 'redact', count: 1 }] } },
        { aiServiceId: one },
        { aiServiceId: two, outcome: 'blocked', decision: 'block' },
        { aiServiceId: two },
        { aiServiceId: two },
        { aiServiceId: three },
        { aiServiceId: three },
        { aiServiceId: four },
        { aiServiceId: null, outcome: 'unapproved-model', decision: null, analysisId: null },
      ];
      for (const changes of thisMonth) momentPosition = await record({ clientId: alpha, ...changes });
      await record({ clientId: beta, aiServiceId: two });
      // Everything so far was recorded by the time its append returned: a moment after that, and before what follows.
      after(new Date().toISOString());
      moment = new Date().toISOString();
      after(moment);
      for (let i = 0; i < 3; i++) await record({ clientId: alpha, aiServiceId: three });
    });
    afterAll(async () => {
      await database?.close();
      await ledger?.close();
    });

    it('sums requests per client, service, model and UTC day, newest day first, with totals and top users', async () => {
      const [one, two] = services4 as [string, string];
      const june = await usage('?from=2025-06-10&to=2025-06-11');
      expect(june.data).toHaveLength(5);
      expect(june.data).toEqual(
        expect.arrayContaining([
          {
            clientId: alpha,
            aiServiceId: one,
            model: 'gpt-a',
            day: '2025-06-10',
            requests: 2,
            tokensIn: 15,
            tokensOut: 20,
            blocked: 1,
            redacted: 0,
          },
          {
            clientId: alpha,
            aiServiceId: one,
            model: 'gpt-b',
            day: '2025-06-10',
            requests: 1,
            tokensIn: 7,
            tokensOut: 3,
            blocked: 0,
            redacted: 1,
          },
          {
            clientId: beta,
            aiServiceId: one,
            model: 'gpt-a',
            day: '2025-06-10',
            requests: 1,
            tokensIn: 100,
            tokensOut: 100,
            blocked: 0,
            redacted: 0,
          },
          {
            clientId: alpha,
            aiServiceId: two,
            model: 'gpt-a',
            day: '2025-06-11',
            requests: 1,
            tokensIn: 1,
            tokensOut: 2,
            blocked: 0,
            redacted: 0,
          },
          // A model no approved service offers: counted, with no service.
          {
            clientId: alpha,
            aiServiceId: null,
            model: 'shadow-model',
            day: '2025-06-11',
            requests: 1,
            tokensIn: 0,
            tokensOut: 0,
            blocked: 0,
            redacted: 0,
          },
        ]),
      );
      expect(june.data.map((row) => row.day)).toEqual([...june.data.map((row) => row.day)].sort().reverse());
      expect(june.meta).toMatchObject({ total: 5, page: 1, size: 20, pages: 1 });
      expect(june.meta.totals).toEqual({ requests: 6, tokensIn: 123, tokensOut: 125, blocked: 1, redacted: 1 });
      expect(june.meta.topUsers).toEqual([
        { userRefHash: 'ann', requests: 3, tokens: 35 },
        { userRefHash: 'bob', requests: 2, tokens: 13 },
        { userRefHash: 'cat', requests: 1, tokens: 200 },
      ]);
    });

    it('counts the UTC days from and to, both included, and pages the groups with the totals of them all', async () => {
      const second = await usage('?from=2025-06-11&to=2025-06-11');
      expect(second.data.map((row) => row.model).sort()).toEqual(['gpt-a', 'shadow-model']);
      expect(second.meta.totals.requests).toBe(2);
      const first = await usage('?from=2025-01-01&to=2025-06-10');
      expect(first.meta.totals.requests).toBe(4);
      expect(new Set(first.data.map((row) => row.day))).toEqual(new Set(['2025-06-10']));

      const paged = await usage('?from=2025-06-10&to=2025-06-11&size=2&page=2');
      expect(paged.data).toHaveLength(2);
      expect(paged.meta).toMatchObject({ total: 5, page: 2, size: 2, pages: 3 });
      const past = await usage('?from=2025-06-10&to=2025-06-11&size=2&page=4');
      expect(past.data).toEqual([]);
      expect(past.meta).toMatchObject({ total: 5, pages: 3 });
      expect(past.meta.totals.requests).toBe(6);
    });

    it('refuses bad days, a to before from and a malformed client id, naming the field', async () => {
      for (const [query, field] of [
        ['?from=2025-13-01', 'from'],
        ['?to=yesterday', 'to'],
        ['?from=2025-06-11&to=2025-06-10', 'to'],
        [`?clientId=${alpha},not-an-id`, 'clientId'],
        ['?asOf=2999-01-01T00:00:00Z', 'asOf'],
      ] as const) {
        const answer = await get<{ errors?: Array<{ field: string }> }>(`/ai-usage${query}`);
        expect(answer.status, query).toBe(400);
        expect(answer.headers.get('content-type')).toMatch(/application\/problem\+json/);
        expect(
          answer.body.errors?.map((error) => error.field),
          query,
        ).toContain(field);
      }
    });

    it('counts, as of a moment, the requests recorded up to it (a time or a log position)', async () => {
      const [, , three] = services4 as [string, string, string];
      const from = monthStart().toISOString().slice(0, 10);
      const live = await usage(`?clientId=${alpha}&from=${from}`);
      expect(live.meta.totals).toEqual({ requests: 14, tokensIn: 140, tokensOut: 280, blocked: 1, redacted: 1 });
      expect(live.meta.asOf).toBeUndefined();
      const then = await usage(`?clientId=${alpha}&from=${from}&asOf=${moment}`);
      expect(then.meta.totals).toEqual({ requests: 11, tokensIn: 110, tokensOut: 220, blocked: 1, redacted: 1 });
      expect(then.meta.asOf).toBe(moment);
      expect(then.data.find((row) => row.aiServiceId === three)?.requests).toBe(2);
      const byPosition = await usage(`?clientId=${alpha}&from=${from}&asOf=${momentPosition}`);
      expect(byPosition.meta.totals.requests).toBe(11);
      expect(byPosition.meta.position).toBe(momentPosition);
      // Before anything was recorded.
      const before = await usage(`?asOf=2025-06-10T07:59:59Z`);
      expect(before.data).toEqual([]);
      expect(before.meta.totals).toEqual(NOTHING);
    });

    it("shows a client's people their client only, and another tenant nothing", async () => {
      const officer = ledger.tokenFor(admin.tenantId, 'compliance_officer', alpha);
      const own = await usage('?from=2025-06-10&to=2025-06-11', officer);
      expect(new Set(own.data.map((row) => row.clientId))).toEqual(new Set([alpha]));
      expect(own.meta.totals.requests).toBe(5);
      expect(own.meta.topUsers.map((user) => user.userRefHash)).toEqual(['ann', 'bob']);
      const both = await usage(`?from=2025-06-10&to=2025-06-11&clientId=${alpha},${beta}`, officer);
      expect(both.meta.totals.requests).toBe(5);
      const another = await usage(`?clientId=${beta}`, officer);
      expect(another.data).toEqual([]);
      expect(another.meta.totals).toEqual(NOTHING);
      expect(another.meta.topUsers).toEqual([]);

      const msp = await usage(`?from=2025-06-10&to=2025-06-11&clientId=${alpha},${beta}`);
      expect(msp.meta.totals.requests).toBe(6);
      const auditor = await usage('?from=2025-06-10&to=2025-06-11', ledger.tokenFor(admin.tenantId, 'auditor'));
      expect(auditor.meta.totals.requests).toBe(6);

      const outsider = await usage(`?clientId=${alpha}`, other.accessToken);
      expect(outsider.data).toEqual([]);
      expect(outsider.meta.totals).toEqual(NOTHING);
      const everything = await usage('', other.accessToken);
      expect(everything.meta.totals).toEqual(NOTHING);

      const member = await get('/ai-usage', ledger.tokenFor(admin.tenantId, 'member', alpha));
      expect(member.status).toBe(403);
    });

    it('keeps the read model behind row-level security: a tenant, a client, even without a WHERE clause', async () => {
      const rows = (settings: Record<string, string>) =>
        ledger.sql((db) =>
          db.transaction().execute(async (trx) => {
            await sql`set local role ledger_app`.execute(trx);
            for (const [name, value] of Object.entries(settings))
              await sql`select set_config(${name}, ${value}, true)`.execute(trx);
            const { rows } = await sql<{
              tenant_id: string;
              client_id: string;
            }>`select * from gateway_requests`.execute(trx);
            return rows;
          }),
        );
      expect(await rows({})).toEqual([]);
      const msp = await rows({ 'app.tenant_id': admin.tenantId, 'app.client_id': '*' });
      expect(msp.length).toBeGreaterThan(20);
      expect(new Set(msp.map((row) => row.tenant_id))).toEqual(new Set([admin.tenantId]));
      const client = await rows({ 'app.tenant_id': admin.tenantId, 'app.client_id': beta });
      expect(new Set(client.map((row) => row.client_id))).toEqual(new Set([beta]));
      expect(await rows({ 'app.tenant_id': other.tenantId, 'app.client_id': '*' })).toEqual([]);
    });

    it("shows each client's gateway usage of the month in the MSP summary, now and as of a moment", async () => {
      const [one, two, three] = services4 as [string, string, string];
      const live = await get<Summary>('/msp/summary');
      expect(live.status, JSON.stringify(live.body)).toBe(200);
      const of = (summary: Summary, clientId: string) =>
        summary.data.find((c) => c.clientId === clientId)?.gatewayUsage;
      expect(of(live.body, alpha)).toEqual({
        requests: 14,
        blocked: 1,
        redacted: 1,
        tokensIn: 140,
        tokensOut: 280,
        topServices: [
          { aiServiceId: three, name: 'Three AI', requests: 5 },
          { aiServiceId: one, name: 'One AI', requests: 4 },
          { aiServiceId: two, name: 'Two AI', requests: 3 },
        ],
      });
      expect(of(live.body, beta)).toEqual({
        requests: 1,
        blocked: 0,
        redacted: 0,
        tokensIn: 10,
        tokensOut: 20,
        topServices: [{ aiServiceId: two, name: 'Two AI', requests: 1 }],
      });

      const then = await get<Summary>(`/msp/summary?asOf=${moment}`);
      expect(then.status, JSON.stringify(then.body)).toBe(200);
      expect(then.body.meta.asOf).toBe(moment);
      expect(of(then.body, alpha)).toEqual({
        requests: 11,
        blocked: 1,
        redacted: 1,
        tokensIn: 110,
        tokensOut: 220,
        topServices: [
          { aiServiceId: one, name: 'One AI', requests: 4 },
          { aiServiceId: two, name: 'Two AI', requests: 3 },
          { aiServiceId: three, name: 'Three AI', requests: 2 },
        ],
      });

      // A client's officer, as of the same moment: its own client, replayed for it alone.
      const scoped = await get<Summary>(
        `/msp/summary?asOf=${moment}`,
        ledger.tokenFor(admin.tenantId, 'compliance_officer', beta),
      );
      expect(scoped.status).toBe(200);
      expect(scoped.body.data.map((c) => c.clientId)).toEqual([beta]);
      expect(of(scoped.body, beta)?.requests).toBe(1);
    });
  },
);
