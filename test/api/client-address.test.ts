import { randomBytes, randomInt } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../infrastructure/database/database.js';
import { PostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.js';
import { needs, services } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

/**
 * A loopback address of this run's own (Linux routes all of 127/8 to the loopback interface): rate-limit counts are
 * kept in the shared Redis per address, so no other test or rerun shares them.
 */
const ownLoopback = () => `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;

/** An HTTP request from a given local address, with an X-Forwarded-For header as any client may send one. */
function send(
  ledger: TestLedger,
  method: string,
  path: string,
  options: { from: string; forwardedFor?: string; body?: unknown; token?: string },
): Promise<{ status: number; body: unknown }> {
  const url = new URL(`/api/v1${path}`, ledger.url);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        localAddress: options.from,
        headers: {
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...(options.forwardedFor ? { 'x-forwarded-for': options.forwardedFor } : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: text ? (JSON.parse(text) as unknown) : undefined }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Registers an MSP and answers the ip recorded in the metadata of its first event. */
async function recordedIpOfRegistration(ledger: TestLedger, from: string, forwardedFor?: string) {
  const email = `ip-${randomBytes(4).toString('hex')}@example.com`;
  const registered = await send(ledger, 'POST', '/auth/register', {
    from,
    forwardedFor,
    body: { email, password: 'correct horse battery staple', name: 'Ada', organizationName: 'Managed IT Ltd' },
  });
  expect(registered.status).toBe(201);
  const { tenantId } = (registered.body as { data: { tenantId: string } }).data;
  const events = await ledger.storedEvents();
  const first = events.find((event) => (event.metadata as { tenantId: string }).tenantId === tenantId)!;
  return (first.metadata as { ip?: string }).ip;
}

/** Password-reset requests (20 allowed per address an hour), each for another account: the statuses answered. */
async function resetRequests(ledger: TestLedger, from: string, forwardedFor: (n: number) => string) {
  const statuses: number[] = [];
  for (let n = 0; n < 21; n++) {
    const answer = await send(ledger, 'POST', '/auth/reset-password/request', {
      from,
      forwardedFor: forwardedFor(n),
      body: { email: `nobody-${randomBytes(4).toString('hex')}@example.com` },
    });
    statuses.push(answer.status);
  }
  return statuses;
}

describe.skipIf(skip)(`the client's address${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  describe('with no trusted proxy (the default)', () => {
    let ledger: TestLedger;
    beforeAll(async () => {
      ledger = await startTestLedger();
    });
    afterAll(() => ledger?.close());

    it("records the peer's address, whatever X-Forwarded-For says", async () => {
      const from = ownLoopback();
      expect(await recordedIpOfRegistration(ledger, from, '203.0.113.7')).toBe(from);
    });

    it('records the peer of a refused command too', async () => {
      const admin = await ledger.signUp();
      const from = ownLoopback();
      const refused = await send(ledger, 'POST', '/clients', {
        from,
        forwardedFor: '=HYPERLINK("https://attacker.example")',
        token: ledger.tokenFor(admin.tenantId, 'auditor'),
        body: { name: 'Acme', industry: 'health', size: '1-10' },
      });
      expect(refused.status).toBe(403);
      let refusal: { metadata: unknown } | undefined;
      for (let tries = 0; !refusal && tries < 100; tries++) {
        refusal = (await ledger.storedEvents()).find(
          (event) =>
            event.type === 'CommandRefused' && (event.metadata as { tenantId: string }).tenantId === admin.tenantId,
        );
        if (!refusal) await new Promise((resolve) => setImmediate(resolve));
      }
      expect((refusal!.metadata as { ip: string }).ip).toBe(from);
    });

    it('counts reset requests per peer, however X-Forwarded-For changes', async () => {
      const statuses = await resetRequests(ledger, ownLoopback(), (n) => `198.51.100.${n + 1}`);
      expect(statuses).toContain(429);
    });
  });

  describe('behind a trusted proxy (TRUST_PROXY=loopback)', () => {
    let ledger: TestLedger;
    beforeAll(async () => {
      ledger = await startTestLedger({ env: { TRUST_PROXY: 'loopback' } });
    });
    afterAll(() => ledger?.close());

    it('records the forwarded address, parsed and in canonical form', async () => {
      const from = ownLoopback();
      expect(await recordedIpOfRegistration(ledger, from, '203.0.113.7')).toBe('203.0.113.7');
      expect(await recordedIpOfRegistration(ledger, from, '::ffff:203.0.113.8')).toBe('203.0.113.8');
      expect(await recordedIpOfRegistration(ledger, from, '2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
      // Only the proxy's own hop is trusted: the client's claim before it is not taken.
      expect(await recordedIpOfRegistration(ledger, from, '192.0.2.1, 203.0.113.9')).toBe('203.0.113.9');
    });

    it('never records a forwarded value that is no address: the proxy is recorded instead', async () => {
      const from = ownLoopback();
      for (const forwarded of [
        '<script>alert(1)</script>',
        '=cmd|"/C calc"!A0',
        '127.1',
        '203.0.113.7:8080',
        'x'.repeat(500),
      ])
        expect(await recordedIpOfRegistration(ledger, from, forwarded)).toBe(from);
    });

    it('counts one address however it is written, and a value that is no address as the proxy', async () => {
      // One IPv6 address, written a different way each time.
      const groups = Array.from({ length: 4 }, () => randomInt(1, 0xffff).toString(16));
      const spellings = (n: number) => {
        const expanded = `2001:db8:0:0:${groups.join(':')}`;
        const forms = [
          expanded,
          expanded.toUpperCase(),
          `2001:db8::${groups.join(':')}`,
          `2001:0db8:0000:0000:${groups.join(':')}`,
        ];
        return forms[n % forms.length]!;
      };
      expect(await resetRequests(ledger, ownLoopback(), spellings)).toContain(429);
      expect(await resetRequests(ledger, ownLoopback(), (n) => `not-an-address-${n}`)).toContain(429);
    });
  });

  it.skipIf(skip)('shows an address stored raw by an older version in the audit log only if it is one', async () => {
    const ledger = await startTestLedger();
    try {
      const admin = await ledger.signUp();
      const database = await openDatabase({
        kind: 'postgres',
        url: services.databaseUrl!,
        schema: ledger.config.DATABASE_SCHEMA,
        poolSize: 1,
      });
      let position: string;
      try {
        const store = new PostgresEventStore(database);
        const context = { tenantId: admin.tenantId, actorId: admin.userId, correlationId: 'older-version' };
        await store.append(`${admin.tenantId}/probe/1`, [
          { type: 'ProbeRecorded', data: {}, metadata: { ...context, ip: '=HYPERLINK("https://attacker.example")' } },
        ]);
        ({ position } = await store.append(`${admin.tenantId}/probe/2`, [
          { type: 'ProbeRecorded', data: {}, metadata: { ...context, ip: '::ffff:203.0.113.8' } },
        ]));
      } finally {
        await database.close();
      }
      const audit = await ledger.request<{ data: Array<{ ip: string | null; streamId: string }> }>(
        'GET',
        '/audit?type=ProbeRecorded',
        { token: admin.accessToken, headers: { 'X-Min-Position': position } },
      );
      expect(audit.status).toBe(200);
      expect(Object.fromEntries(audit.body.data.map((entry) => [entry.streamId.split('/').pop(), entry.ip]))).toEqual({
        '1': null,
        '2': '203.0.113.8',
      });
    } finally {
      await ledger.close();
    }
  });
});
