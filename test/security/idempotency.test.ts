import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import {
  createClient,
  inviteMember,
  uploadEvidence,
  type Member,
  type PopulatedTenant,
  type SignedUp,
} from '../support/tenants.js';
import { ROUTES } from './route-table.js';

const skip = needs('postgres').skip || needs('redis').skip;

describe.skipIf(skip)(
  `Idempotency-Key answers belong to their caller${skip ? ' (skipped: no postgres or redis)' : ''}`,
  () => {
    let ledger: TestLedger;
    let a: SignedUp;
    let b: SignedUp;
    let colleague: Member;
    let clientId: string;
    let aiServiceId: string;

    const storedRows = () =>
      ledger.sql(async (db) => (await sql<Record<string, unknown>>`select * from idempotency_keys`.execute(db)).rows);

    beforeAll(async () => {
      ledger = await startTestLedger();
      a = await ledger.signUp('a');
      b = await ledger.signUp('b');
      colleague = await inviteMember(ledger, a.accessToken, 'msp_admin');
      clientId = await createClient(ledger, a.accessToken, 'Keyed Clinic');
      aiServiceId = (
        await ledger.request<{ data: { aiServiceId: string } }>('POST', '/ai-services', {
          token: a.accessToken,
          body: { name: 'Chat', vendor: 'V', models: ['m'], baaSigned: true, dpaSigned: true, dataRetentionDays: 0 },
        })
      ).body.data.aiServiceId;
      await ledger.request('POST', `/clients/${clientId}/ai-services/${aiServiceId}/approve`, {
        token: a.accessToken,
        body: { reason: 'ok' },
      });
    });
    afterAll(() => ledger?.close());

    const createWithKey = (key: string, token?: string) =>
      ledger.request<{ data: { clientId: string } }>('POST', '/clients', {
        token,
        headers: { 'Idempotency-Key': key },
        body: { name: 'Same Body', industry: 'health', size: '1-10' },
      });

    it("never replays one tenant's answer to another tenant, to another user, or to a caller without a token", async () => {
      const key = `idem-${randomUUID()}`;
      const first = await createWithKey(key, a.accessToken);
      expect(first.status).toBe(201);

      const otherTenant = await createWithKey(key, b.accessToken);
      expect(otherTenant.status).toBe(201);
      expect(otherTenant.headers.get('idempotent-replayed')).toBeNull();
      expect(otherTenant.body.data.clientId).not.toBe(first.body.data.clientId);

      const otherUser = await createWithKey(key, colleague.accessToken);
      expect(otherUser.status).toBe(201);
      expect(otherUser.headers.get('idempotent-replayed')).toBeNull();
      expect(otherUser.body.data.clientId).not.toBe(first.body.data.clientId);

      const anonymous = await createWithKey(key);
      expect(anonymous.status).toBe(401);
      expect(JSON.stringify(anonymous.body)).not.toContain(first.body.data.clientId);

      const retry = await createWithKey(key, a.accessToken);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.body.data.clientId).toBe(first.body.data.clientId);
    });

    it('stores nothing for unauthenticated routes, and checks the key only after authentication', async () => {
      const key = `idem-${randomUUID()}`;
      const body = { email: `nobody-${randomUUID()}@example.com`, password: 'wrong password here' };
      for (let i = 0; i < 2; i++) {
        const login = await ledger.request('POST', '/auth/login', { body, headers: { 'Idempotency-Key': key } });
        expect(login.status).toBe(401);
        expect(login.headers.get('idempotent-replayed')).toBeNull();
      }
      await ledger.request('POST', '/auth/reset-password/request', {
        body: { email: a.email },
        headers: { 'Idempotency-Key': key },
      });
      const rows = await storedRows();
      expect(rows.filter((row) => String(row.key) === key)).toEqual([]);
      expect(rows.filter((row) => String(row.scope).startsWith('anonymous'))).toEqual([]);
    });

    it("checks the key's form on every public route, before the route does anything", async () => {
      const publicCommands = Object.entries(ROUTES).filter(
        ([operation, route]) => 'public' in route && operation.startsWith('POST '),
      );
      expect(publicCommands.length).toBeGreaterThan(0);
      for (const [operation, route] of publicCommands) {
        // Public routes' requests name no tenant's resources.
        const { path, body } = route.request({} as PopulatedTenant);
        const answer = await ledger.request('POST', path, { body, headers: { 'Idempotency-Key': 'not a key!' } });
        expect({ operation, status: answer.status, body: answer.body }).toMatchObject({
          operation,
          status: 400,
          body: { errors: [{ field: 'Idempotency-Key' }] },
        });
      }
    });

    it('never stores a webhook secret: a replay answers without it and says so, also after the webhook is deleted', async () => {
      const key = `idem-${randomUUID()}`;
      const body = { url: 'https://hooks.example.com/ledger', events: ['violation.*'] };
      const first = await ledger.request<{ data: { webhookId: string; secret: string } }>('POST', '/webhooks', {
        token: a.accessToken,
        headers: { 'Idempotency-Key': key },
        body,
      });
      expect(first.status).toBe(201);
      expect(first.body.data.secret).toMatch(/^whsec_/);
      const stored = JSON.stringify(await storedRows());
      expect(stored).not.toContain(first.body.data.secret);
      expect(stored).not.toContain(first.body.data.secret.slice('whsec_'.length));

      const anonymous = await ledger.request('POST', '/webhooks', { headers: { 'Idempotency-Key': key }, body });
      expect(anonymous.status).toBe(401);
      expect(JSON.stringify(anonymous.body)).not.toContain(first.body.data.webhookId);

      await ledger.request('DELETE', `/webhooks/${first.body.data.webhookId}`, { token: a.accessToken });
      const replay = await ledger.request<{
        data: { webhookId: string; secret?: string };
        meta: { withheld: string[]; withheldReason: string };
      }>('POST', '/webhooks', { token: a.accessToken, headers: { 'Idempotency-Key': key }, body });
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body.data).toEqual({ webhookId: first.body.data.webhookId });
      expect(replay.body.meta.withheld).toEqual(['secret']);
      expect(replay.body.meta.withheldReason).toMatch(/shown only once/);
    });

    it('keeps no text of an analysed prompt, and a replay still gives the redacted prompt', async () => {
      const key = `idem-${randomUUID()}`;
      const marker = `Zyxwvut${randomUUID().slice(0, 8)}`;
      const body = { clientId, aiServiceId, prompt: `Forward to ${marker}, card 4111 1111 1111 1111 please` };
      const first = await ledger.request<{ data: { analysisId: string; redactedPrompt: string } }>(
        'POST',
        '/analyze/prompt',
        { token: a.accessToken, headers: { 'Idempotency-Key': key }, body },
      );
      expect(first.status).toBe(201);
      expect(first.body.data.redactedPrompt).toContain(marker);
      expect(first.body.data.redactedPrompt).toContain('<CREDIT_CARD_1>');
      expect(JSON.stringify(await storedRows())).not.toContain(marker);

      const replay = await ledger.request<{ data: Record<string, unknown> }>('POST', '/analyze/prompt', {
        token: a.accessToken,
        headers: { 'Idempotency-Key': key },
        body,
      });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body.data).toEqual(first.body.data);

      const otherPrompt = await ledger.request('POST', '/analyze/prompt', {
        token: a.accessToken,
        headers: { 'Idempotency-Key': key },
        body: { ...body, prompt: `${body.prompt}!` },
      });
      expect(otherPrompt.status).toBe(422);
    });

    it("covers a multipart upload's fields and the file's digest", async () => {
      const key = `idem-${randomUUID()}`;
      const headers = { 'Idempotency-Key': key };
      const first = await uploadEvidence(ledger, a.accessToken, clientId, 'minutes of the access review', { headers });
      expect(first.status).toBe(201);
      const retry = await uploadEvidence(ledger, a.accessToken, clientId, 'minutes of the access review', { headers });
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.body).toEqual(first.body);

      const otherFile = await uploadEvidence(ledger, a.accessToken, clientId, 'minutes of another review', { headers });
      expect(otherFile.status).toBe(422);
      expect(otherFile.body).toMatchObject({ errors: [{ field: 'Idempotency-Key' }] });
      const otherTitle = await uploadEvidence(ledger, a.accessToken, clientId, 'minutes of the access review', {
        headers,
        title: 'Another title',
      });
      expect(otherTitle.status).toBe(422);

      const otherTenant = await uploadEvidence(ledger, b.accessToken, clientId, 'minutes of the access review', {
        headers,
      });
      expect(otherTenant.status).toBe(404);
      expect(JSON.stringify(otherTenant.body)).not.toContain((first.body.data as { evidenceId: string }).evidenceId);
    });
  },
);
