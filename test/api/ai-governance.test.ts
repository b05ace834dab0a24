import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

describe.skipIf(skip)(
  `AI service registry and client AI policy over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`,
  () => {
    let ledger: TestLedger;
    let admin: Awaited<ReturnType<TestLedger['signUp']>>;
    let clientId: string;
    let aiServiceId: string;
    const chatgpt = {
      name: 'ChatGPT Enterprise',
      vendor: 'OpenAI',
      models: ['gpt-4o'],
      baaSigned: true,
      dpaSigned: true,
      dataRetentionDays: 30,
    };

    beforeAll(async () => {
      ledger = await startTestLedger();
      admin = await ledger.signUp();
      clientId = (
        await ledger.request<{ data: { clientId: string } }>('POST', '/clients', {
          token: admin.accessToken,
          body: { name: 'Clinic', industry: 'healthcare', size: '11-50' },
        })
      ).body.data.clientId;
      const registered = await ledger.request<{ data: { aiServiceId: string } }>('POST', '/ai-services', {
        token: admin.accessToken,
        body: chatgpt,
      });
      expect(registered.status).toBe(201);
      aiServiceId = registered.body.data.aiServiceId;
    });
    afterAll(() => ledger?.close());

    const tokenFor = (role: string, scopedClient: string | null) => ledger.tokenFor(admin.tenantId, role, scopedClient);

    it('reads one service of the registry, and for a client its approval', async () => {
      const approve = await ledger.request<{ meta: { position: string } }>(
        'POST',
        `/clients/${clientId}/ai-services/${aiServiceId}/approve`,
        { token: admin.accessToken, body: { reason: 'contract signed' } },
      );
      const headers = { 'X-Min-Position': approve.body.meta.position };
      const one = await ledger.request<{ data: Record<string, unknown> }>('GET', `/ai-services/${aiServiceId}`, {
        token: admin.accessToken,
        headers,
      });
      expect(one.status).toBe(200);
      expect(one.body.data).toMatchObject({ aiServiceId, ...chatgpt, approval: null });
      const forClient = await ledger.request<{ data: Record<string, unknown> }>(
        'GET',
        `/ai-services/${aiServiceId}?clientId=${clientId}`,
        { token: admin.accessToken, headers },
      );
      expect(forClient.body.data).toMatchObject({ approval: 'approved' });
      const other = await ledger.signUp('other');
      for (const [token, id] of [
        [admin.accessToken, randomUUID()],
        [other.accessToken, aiServiceId],
      ] as const) {
        expect((await ledger.request('GET', `/ai-services/${id}`, { token })).status).toBe(404);
      }
    });

    it("answers 404 for a clientId the caller may not see, rather than another client's approval as 'none'", async () => {
      const second = (
        await ledger.request<{ data: { clientId: string } }>('POST', '/clients', {
          token: admin.accessToken,
          body: { name: 'Second clinic', industry: 'healthcare', size: '1-10' },
        })
      ).body.data.clientId;
      const approve = await ledger.request<{ meta: { position: string } }>(
        'POST',
        `/clients/${second}/ai-services/${aiServiceId}/approve`,
        { token: admin.accessToken, body: { reason: 'contract signed' } },
      );
      const read = (path: string, token: string) =>
        ledger.request<{ data: unknown }>('GET', path, {
          token,
          headers: { 'X-Min-Position': approve.body.meta.position },
        });
      const scoped = tokenFor('client_admin', clientId);
      const other = await ledger.signUp('foreign');
      const foreign = (
        await ledger.request<{ data: { clientId: string } }>('POST', '/clients', {
          token: other.accessToken,
          body: { name: 'Foreign clinic', industry: 'healthcare', size: '1-10' },
        })
      ).body.data.clientId;
      for (const path of [`/ai-services/${aiServiceId}`, '/ai-services']) {
        // Another client of a client-scoped user; a client of another tenant, or none, for an MSP user.
        for (const [token, asked] of [
          [scoped, second],
          [admin.accessToken, foreign],
          [admin.accessToken, randomUUID()],
        ] as const) {
          const refused = await read(`${path}?clientId=${asked}`, token);
          expect(refused.status, `${path}?clientId=${asked}`).toBe(404);
          expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
          expect(JSON.stringify(refused.body)).not.toContain('"approval"');
        }
        // Their own client's, and for the MSP any of its clients: the approval as it is.
        const own = await read(`${path}?clientId=${second}`, admin.accessToken);
        expect(own.status).toBe(200);
        expect(JSON.stringify(own.body)).toContain('"approval":"approved"');
        expect((await read(`${path}?clientId=${clientId}`, scoped)).status).toBe(200);
        // Without clientId, a client-scoped user sees its own client's approvals.
        expect(JSON.stringify((await read(path, scoped)).body)).toContain('"approval":"approved"');
      }
    });

    it('approves and revokes a service for a client, with reasons', async () => {
      const path = `/clients/${clientId}/ai-services/${aiServiceId}`;
      const approved = await ledger.request('POST', `${path}/approve`, {
        token: admin.accessToken,
        body: { reason: 'BAA signed 2026-01-10' },
      });
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({ data: { clientId, aiServiceId, status: 'approved' } });
      const revoked = await ledger.request('POST', `${path}/revoke`, {
        token: admin.accessToken,
        body: { reason: 'Vendor incident' },
      });
      expect(revoked.body).toMatchObject({ data: { status: 'revoked' } });
      expect((await ledger.request('POST', `${path}/approve`, { token: admin.accessToken, body: {} })).status).toBe(
        400,
      );
      expect(
        (
          await ledger.request('POST', `/clients/${clientId}/ai-services/${randomUUID()}/approve`, {
            token: admin.accessToken,
            body: { reason: 'x' },
          })
        ).status,
      ).toBe(404);
    });

    it('sets an AI usage policy and refuses a custom pattern that needs backtracking or costs too much, naming it', async () => {
      const policy = {
        rules: [{ entity: 'US_SSN', minScore: 0.5, action: 'block' }],
        unapprovedService: 'block',
        customPatterns: [{ entity: 'PATIENT_ID', pattern: 'PT-\\d{6}', score: 0.9 }],
      };
      const set = await ledger.request('PUT', `/clients/${clientId}/ai-policy`, {
        token: admin.accessToken,
        body: policy,
      });
      expect(set.status).toBe(200);
      const unsafe = await ledger.request('PUT', `/clients/${clientId}/ai-policy`, {
        token: admin.accessToken,
        body: { ...policy, customPatterns: [{ entity: 'BAD', pattern: '(a)\\1', score: 0.5 }] },
      });
      expect(unsafe.status).toBe(422);
      expect(unsafe.body).toMatchObject({ errors: [{ field: 'customPatterns.0.pattern' }] });
      const costly = await ledger.request('PUT', `/clients/${clientId}/ai-policy`, {
        token: admin.accessToken,
        body: {
          ...policy,
          customPatterns: [...policy.customPatterns, { entity: 'CODE', pattern: '\\w{999}', score: 0.5 }],
        },
      });
      expect(costly.status).toBe(422);
      expect(costly.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(costly.body).toMatchObject({ errors: [{ field: 'customPatterns.1.pattern' }] });
      const badAction = await ledger.request('PUT', `/clients/${clientId}/ai-policy`, {
        token: admin.accessToken,
        body: { ...policy, unapprovedService: 'shrug' },
      });
      expect(badAction.status).toBe(400);
      expect(badAction.body).toMatchObject({ errors: [{ field: 'unapprovedService' }] });
    });

    it('keeps the registry to the MSP and each client to its own governance', async () => {
      expect(
        (await ledger.request('POST', '/ai-services', { token: tokenFor('client_admin', clientId), body: chatgpt }))
          .status,
      ).toBe(403);
      expect(
        (await ledger.request('POST', '/ai-services', { token: tokenFor('auditor', null), body: chatgpt })).status,
      ).toBe(403);
      const ownClient = await ledger.request('POST', `/clients/${clientId}/ai-services/${aiServiceId}/approve`, {
        token: tokenFor('client_admin', clientId),
        body: { reason: 'ok' },
      });
      expect(ownClient.status).toBe(200);
      const otherClient = await ledger.request('PUT', `/clients/${clientId}/ai-policy`, {
        token: tokenFor('client_admin', randomUUID()),
        body: { rules: [], unapprovedService: 'warn' },
      });
      expect(otherClient.status).toBe(404);
    });
  },
);
