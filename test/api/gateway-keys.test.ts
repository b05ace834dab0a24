/**
 * Gateway keys over HTTP: issued once (the key in the answer, its hash alone in the log, nothing of it in the
 * idempotency store), listed without the key with their last use, revoked; and checked by authenticateGatewayKey
 * against the key's own stream, as the gateway does on every request.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandHandler } from '../../command-api/http/command-handler.js';
import { gatewayKeyStream } from '../../domain/gateway/gateway-key.js';
import { gatewayRequestDecider, gatewayRequestStream } from '../../domain/gateway/gateway-request.js';
import { authenticateGatewayKey, gatewayKeyHash, parseGatewayKey } from '../../gateway/keys.js';
import { createLogger } from '../../infrastructure/logging/logger.js';
import { openResources, type Resources } from '../../infrastructure/runtime/resources.js';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { approvedService, createClient, inviteMember, type Member, type SignedUp } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface Issued {
  data: {
    keyId: string;
    key?: string;
    keyPrefix: string;
    clientId: string;
    name: string;
    userRef: string | null;
    aiServiceIds: string[] | null;
    requestsPerMinute: number | null;
    status: string;
  };
  meta: { position: string; withheld?: string[]; withheldReason?: string };
}
interface Listed {
  data: Array<Record<string, unknown> & { keyId: string; status: string; lastUsedAt: string | null }>;
  meta: { total: number };
}

describe.skipIf(skip)(`gateway keys over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: SignedUp;
  let clientId: string;
  let aiServiceId: string;
  let officer: Member;
  /** The ledger's own resources, opened a second time on its schema: how the gateway checks a key. */
  let resources: Resources;
  let handler: CommandHandler;

  beforeAll(async () => {
    ledger = await startTestLedger();
    admin = await ledger.signUp();
    clientId = await createClient(ledger, admin.accessToken, 'Keyed Clinic');
    aiServiceId = await approvedService(ledger, admin.accessToken, [clientId]);
    officer = await inviteMember(ledger, admin.accessToken, 'compliance_officer', clientId);
    resources = await openResources(ledger.config, createLogger({ level: 'silent', format: 'json' }), {
      migrate: false,
    });
    handler = new CommandHandler(resources.eventStore, resources.vault);
  });
  afterAll(async () => {
    await resources?.close();
    await ledger?.close();
  });

  const issue = (body: unknown, headers: Record<string, string> = {}, token = admin.accessToken, client = clientId) =>
    ledger.request<Issued>('POST', `/clients/${client}/gateway-keys`, { token, body, headers });
  const list = (position: string, token = admin.accessToken, query = '') =>
    ledger.request<Listed>('GET', `/clients/${clientId}/gateway-keys${query}`, {
      token,
      headers: { 'X-Min-Position': position },
    });

  it('issues a key once: the answer carries it, the log only its hash, the list never', async () => {
    const issued = await issue({
      name: ' Help desk bot ',
      userRef: 'emp-42',
      aiServiceIds: [aiServiceId],
      requestsPerMinute: 30,
    });
    expect(issued.status).toBe(201);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    const { key, keyId, keyPrefix } = issued.body.data;
    expect(key).toMatch(/^clk_[0-9a-f]{64}_[A-Za-z0-9_-]{43}$/);
    expect(parseGatewayKey(key!)).toEqual({ tenantId: admin.tenantId, keyId });
    expect(key!.startsWith(keyPrefix.slice(0, 12))).toBe(true);
    expect(issued.body.data).toMatchObject({
      clientId,
      name: 'Help desk bot',
      userRef: 'emp-42',
      aiServiceIds: [aiServiceId],
      requestsPerMinute: 30,
      status: 'active',
    });

    const stored = JSON.stringify(await ledger.storedEvents());
    expect(stored).toContain(gatewayKeyHash(key!));
    expect(stored).not.toContain(key!);
    expect(stored).not.toContain(key!.slice(-43));
    // The user reference is sealed in the event, like a violation's.
    expect(stored).not.toContain('emp-42');

    const listed = await list(issued.body.meta.position);
    expect(listed.status).toBe(200);
    const row = listed.body.data.find((k) => k.keyId === keyId)!;
    expect(row).toEqual({
      keyId,
      clientId,
      name: 'Help desk bot',
      keyPrefix,
      userRef: 'emp-42',
      aiServiceIds: [aiServiceId],
      requestsPerMinute: 30,
      status: 'active',
      issuedAt: expect.any(String),
      revokedAt: null,
      lastUsedAt: null,
    });
    expect(JSON.stringify(listed.body)).not.toContain(key!.slice(-43));

    // History shows the key's issue to auditors, its user reference opened, its hash hidden like other credentials.
    const history = await ledger.request<{ data: Array<{ type: string; data: Record<string, unknown> }> }>(
      'GET',
      `/history/streams/${encodeURIComponent(gatewayKeyStream(admin.tenantId, keyId))}`,
      { token: admin.accessToken },
    );
    expect(history.status).toBe(200);
    expect(history.body.data[0]).toMatchObject({
      type: 'GatewayKeyIssued',
      data: { keyHash: '[redacted]', userRef: 'emp-42', keyPrefix },
    });
  });

  it('answers a replay of the same request without the key, saying why, and issues no second key', async () => {
    const headers = { 'Idempotency-Key': `key-${randomUUID()}` };
    const body = { name: 'Replayed' };
    const first = await issue(body, headers);
    expect(first.status).toBe(201);
    const key = first.body.data.key!;
    const replay = await issue(body, headers);
    expect(replay.status).toBe(201);
    expect(replay.body.data.keyId).toBe(first.body.data.keyId);
    expect(replay.body.data.key).toBeUndefined();
    expect(replay.body.meta.withheld).toEqual(['key']);
    expect(replay.body.meta.withheldReason).toMatch(/shown only once/);
    const listed = await list(first.body.meta.position);
    expect(listed.body.data.filter((k) => k.name === 'Replayed')).toHaveLength(1);
    const stored = await ledger.sql((db) =>
      sql<{ response: unknown }>`select response from idempotency_keys`.execute(db),
    );
    expect(JSON.stringify(stored.rows)).not.toContain(key.slice(-43));
  });

  it('records a use as lastUsedAt, the time of the request recorded through the key', async () => {
    const issued = await issue({ name: 'Used' });
    const { keyId } = issued.body.data;
    const requestId = randomUUID();
    const recorded = await handler.execute(
      { decider: gatewayRequestDecider },
      gatewayRequestStream(admin.tenantId, requestId),
      {
        type: 'RecordGatewayRequest',
        requestId,
        clientId,
        keyId,
        userId: null,
        userRefHash: null,
        endpoint: 'chat.completions',
        streamed: false,
        model: 'm',
        aiServiceId,
        analysisId: null,
        decision: 'allow',
        outcome: 'completed',
        providerStatus: 200,
        tokensIn: 3,
        tokensOut: 5,
        tokenSource: 'provider',
        latencyMs: 12,
        findings: { input: [], output: [] },
      },
      { tenantId: admin.tenantId, actorId: admin.userId, correlationId: randomUUID() },
      { expect: 'new' },
    );
    const [event] = await resources.eventStore.readStream(gatewayRequestStream(admin.tenantId, requestId));
    const listed = await list(recorded.position!);
    const row = listed.body.data.find((k) => k.keyId === keyId)!;
    expect(row.lastUsedAt).toBe(new Date(event!.metadata.recordedAt).toISOString());
  });

  it('revokes a key: listed as revoked, refused by authentication at once', async () => {
    const issued = await issue({ name: 'To revoke' });
    const { keyId, key } = issued.body.data;
    expect(await authenticateGatewayKey(handler, key!)).toEqual({
      tenantId: admin.tenantId,
      clientId,
      keyId,
      userId: null,
      userRef: null,
      userRefHash: null,
      aiServiceIds: null,
      requestsPerMinute: null,
    });
    const revoked = await ledger.request<{ data: unknown; meta: { position: string } }>(
      'DELETE',
      `/clients/${clientId}/gateway-keys/${keyId}`,
      { token: admin.accessToken },
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body.data).toEqual({ keyId, status: 'revoked' });
    expect(await authenticateGatewayKey(handler, key!)).toBeNull();
    const listed = await list(revoked.body.meta.position, admin.accessToken, '?status=revoked');
    const row = listed.body.data.find((k) => k.keyId === keyId)!;
    expect(row).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
    expect(listed.body.data.every((k) => k.status === 'revoked')).toBe(true);
    // Again: nothing new, the same answer.
    const again = await ledger.request('DELETE', `/clients/${clientId}/gateway-keys/${keyId}`, {
      token: admin.accessToken,
    });
    expect(again.status).toBe(200);
  });

  it('authenticates a key only as issued: a tampered, spliced or unknown key is refused', async () => {
    const { key, keyId } = (await issue({ name: 'Genuine', userRef: 'emp-7' })).body.data;
    expect(await authenticateGatewayKey(handler, key!)).toMatchObject({
      keyId,
      userRef: 'emp-7',
      userRefHash: resources.tenantHash(admin.tenantId, 'user-ref', 'emp-7'),
    });
    const last = key!.at(-1) === 'A' ? 'B' : 'A';
    expect(await authenticateGatewayKey(handler, key!.slice(0, -1) + last)).toBeNull();
    expect(await authenticateGatewayKey(handler, `${key} `)).toBeNull();
    expect(await authenticateGatewayKey(handler, '')).toBeNull();
    // Another tenant's key: its secret under this tenant's name, or this key's secret under the other's.
    const other = await ledger.signUp('other');
    const otherClient = await createClient(ledger, other.accessToken, 'Other Clinic');
    const theirs = (await issue({ name: 'Theirs' }, {}, other.accessToken, otherClient)).body.data;
    expect(await authenticateGatewayKey(handler, theirs.key!)).toMatchObject({ tenantId: other.tenantId });
    const hex = (id: string) => id.replaceAll('-', '');
    const secretOf = (k: string) => k.slice(-43);
    const spliced = [
      `clk_${hex(admin.tenantId)}${hex(theirs.keyId)}_${secretOf(theirs.key!)}`,
      `clk_${hex(other.tenantId)}${hex(keyId)}_${secretOf(key!)}`,
      `clk_${hex(other.tenantId)}${hex(theirs.keyId)}_${secretOf(key!)}`,
      `clk_${hex(admin.tenantId)}${hex(randomUUID())}_${secretOf(key!)}`,
    ];
    for (const candidate of spliced) expect(await authenticateGatewayKey(handler, candidate)).toBeNull();
  });

  it('refuses a key of a client that was archived, and issues none for it', async () => {
    const archivedClient = await createClient(ledger, admin.accessToken, 'Closing Clinic');
    const { key } = (await issue({ name: 'Soon gone' }, {}, admin.accessToken, archivedClient)).body.data;
    expect(await authenticateGatewayKey(handler, key!)).not.toBeNull();
    const archived = await ledger.request('DELETE', `/clients/${archivedClient}`, { token: admin.accessToken });
    expect(archived.status).toBe(200);
    expect(await authenticateGatewayKey(handler, key!)).toBeNull();
    expect((await issue({ name: 'Too late' }, {}, admin.accessToken, archivedClient)).status).toBe(410);
  });

  it("lets the client's compliance officer list its keys, never issue or revoke one", async () => {
    const issued = await issue({ name: 'Seen by the officer' });
    const listed = await list(issued.body.meta.position, officer.accessToken);
    expect(listed.status).toBe(200);
    expect(listed.body.data.some((k) => k.keyId === issued.body.data.keyId)).toBe(true);
    expect((await issue({ name: 'Mine' }, {}, officer.accessToken)).status).toBe(403);
    const revoke = await ledger.request('DELETE', `/clients/${clientId}/gateway-keys/${issued.body.data.keyId}`, {
      token: officer.accessToken,
    });
    expect(revoke.status).toBe(403);
    const analyst = ledger.tokenFor(admin.tenantId, 'msp_analyst');
    expect((await ledger.request('GET', `/clients/${clientId}/gateway-keys`, { token: analyst })).status).toBe(403);
  });

  it('refuses bad input naming the field, and a key of another client under this one as not found', async () => {
    const empty = await issue({ name: '' });
    expect(empty.status).toBe(400);
    expect(JSON.stringify(empty.body)).toContain('"field":"name"');
    const unknown = await issue({ name: 'x', aiServiceIds: [aiServiceId, randomUUID()] });
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ errors: [{ field: 'aiServiceIds.1' }] });
    const twice = await issue({ name: 'x', aiServiceIds: [aiServiceId, aiServiceId] });
    expect(twice.status).toBe(400);
    expect(JSON.stringify(twice.body)).toContain('"field":"aiServiceIds"');
    const rate = await issue({ name: 'x', requestsPerMinute: 0 });
    expect(rate.status).toBe(400);
    expect(JSON.stringify(rate.body)).toContain('"field":"requestsPerMinute"');

    const otherClient = await createClient(ledger, admin.accessToken, 'Neighbour Clinic');
    const theirs = (await issue({ name: 'Neighbour' }, {}, admin.accessToken, otherClient)).body.data;
    const crossed = await ledger.request('DELETE', `/clients/${clientId}/gateway-keys/${theirs.keyId}`, {
      token: admin.accessToken,
    });
    expect(crossed.status).toBe(404);
    expect(await authenticateGatewayKey(handler, theirs.key!)).not.toBeNull();
  });
});
