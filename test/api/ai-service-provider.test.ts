/**
 * An AI service's provider settings over HTTP: where the gateway forwards its traffic. The API key is sealed (never
 * returned, never in the log's clear text, hidden from history, never logged); a base URL on a private, loopback,
 * link-local or metadata address is refused unless PROVIDER_ALLOWED_HOSTS lists its host.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandHandler } from '../../command-api/http/command-handler.js';
import { aiServiceDecider, aiServicePersonalData, aiServiceStream } from '../../domain/ai-governance/ai-service.js';
import { createLogger } from '../../infrastructure/logging/logger.js';
import { openResources, type Resources } from '../../infrastructure/runtime/resources.js';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { approvedService, createClient, inviteMember, type SignedUp } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface Problem {
  status: number;
  errors?: Array<{ field: string; message: string }>;
}

describe.skipIf(skip)(`AI service provider settings over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: SignedUp;
  let clientId: string;
  let aiServiceId: string;
  let resources: Resources;
  const apiKey = `sk-provider-${randomUUID()}`;

  beforeAll(async () => {
    ledger = await startTestLedger({
      captureLogs: true,
      env: { PROVIDER_ALLOWED_HOSTS: 'llm.internal, 127.0.0.1:11434' },
    });
    admin = await ledger.signUp();
    clientId = await createClient(ledger, admin.accessToken, 'Provider Clinic');
    aiServiceId = await approvedService(ledger, admin.accessToken, [clientId]);
    resources = await openResources(ledger.config, createLogger({ level: 'silent', format: 'json' }), {
      migrate: false,
    });
  });
  afterAll(async () => {
    await resources?.close();
    await ledger?.close();
  });

  const put = (body: unknown, token = admin.accessToken, id = aiServiceId, headers: Record<string, string> = {}) =>
    ledger.request<{ data: Record<string, unknown>; meta: { position: string } } & Problem>(
      'PUT',
      `/ai-services/${id}/provider`,
      { token, body, headers },
    );
  const read = (path: string, position: string) =>
    ledger.request<{ data: Record<string, unknown> & { provider: unknown } }>('GET', path, {
      token: admin.accessToken,
      headers: { 'X-Min-Position': position },
    });
  /** The settings as the gateway reads them: from the service's stream, the key opened with the vault. */
  const provider = async () =>
    (
      await new CommandHandler(resources.eventStore, resources.vault).load(
        { decider: aiServiceDecider, personalData: aiServicePersonalData },
        aiServiceStream(admin.tenantId, aiServiceId),
      )
    ).state.provider;

  it('sets the provider; reads show whether a key is set, never the key', async () => {
    const set = await put({ baseUrl: 'https://api.openai.example.com/v1', apiKey });
    expect(set.status).toBe(200);
    const shown = { baseUrl: 'https://api.openai.example.com/v1', apiKeySet: true, timeoutMs: 60_000 };
    expect(set.body.data).toEqual({ aiServiceId, provider: shown });
    expect((await provider())?.apiKey).toBe(apiKey);

    const one = await read(`/ai-services/${aiServiceId}`, set.body.meta.position);
    expect(one.status).toBe(200);
    expect(one.body.data.provider).toEqual(shown);
    const all = await read(`/ai-services?clientId=${clientId}`, set.body.meta.position);
    expect(
      (all.body.data as unknown as Array<{ aiServiceId: string; provider: unknown }>).find(
        (s) => s.aiServiceId === aiServiceId,
      )?.provider,
    ).toEqual(shown);
    const history = await ledger.request(
      'GET',
      `/history/streams/${encodeURIComponent(aiServiceStream(admin.tenantId, aiServiceId))}`,
      {
        token: admin.accessToken,
      },
    );
    expect(history.status).toBe(200);
    expect(JSON.stringify(history.body)).toContain('"apiKey":"[redacted]"');

    for (const text of [JSON.stringify(one.body), JSON.stringify(all.body), JSON.stringify(history.body)])
      expect(text).not.toContain(apiKey);
    expect(JSON.stringify(await ledger.storedEvents())).not.toContain(apiKey);
  });

  it('keeps the key and the timeout set before when left out, and sends no key after null', async () => {
    const kept = await put({ baseUrl: 'https://llm.example.com/v1', timeoutMs: 5000 });
    expect(kept.status).toBe(200);
    expect(kept.body.data.provider).toEqual({
      baseUrl: 'https://llm.example.com/v1',
      apiKeySet: true,
      timeoutMs: 5000,
    });
    expect(await provider()).toEqual({ baseUrl: 'https://llm.example.com/v1', apiKey, timeoutMs: 5000 });

    const cleared = await put({ baseUrl: 'https://llm.example.com/v1', apiKey: null });
    expect(cleared.body.data.provider).toEqual({
      baseUrl: 'https://llm.example.com/v1',
      apiKeySet: false,
      timeoutMs: 5000,
    });
    expect((await read(`/ai-services/${aiServiceId}`, cleared.body.meta.position)).body.data.provider).toMatchObject({
      apiKeySet: false,
    });
    expect((await provider())?.apiKey).toBeNull();
  });

  it('registers a service with its provider in one step, vetting the base URL and sealing the key', async () => {
    const profile = {
      name: 'Routed',
      vendor: 'Acme AI',
      models: ['acme-1'],
      baaSigned: true,
      dpaSigned: false,
      dataRetentionDays: 0,
    };
    const registered = await ledger.request<{ data: { aiServiceId: string }; meta: { position: string } }>(
      'POST',
      '/ai-services',
      { token: admin.accessToken, body: { ...profile, provider: { baseUrl: 'https://llm.example.com/v1', apiKey } } },
    );
    expect(registered.status).toBe(201);
    const shown = await read(`/ai-services/${registered.body.data.aiServiceId}`, registered.body.meta.position);
    expect(shown.body.data.provider).toEqual({
      baseUrl: 'https://llm.example.com/v1',
      apiKeySet: true,
      timeoutMs: 60_000,
    });
    expect(JSON.stringify(await ledger.storedEvents())).not.toContain(apiKey);
    const refused = await ledger.request<{ errors: Array<{ field: string }> }>('POST', '/ai-services', {
      token: admin.accessToken,
      body: { ...profile, name: 'Refused', provider: { baseUrl: 'https://169.254.169.254/v1' } },
    });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(refused.body)).toContain('provider.baseUrl');
  });

  it.each([
    'https://127.0.0.1/v1',
    'https://127.1/v1',
    'https://2130706433/v1',
    'https://0x7f.0.0.1/v1',
    'https://0177.0.0.1/v1',
    'https://[::1]/v1',
    'https://[::ffff:127.0.0.1]/v1',
    'https://[::ffff:7f00:1]/v1',
    'https://10.1.2.3/v1',
    'https://192.168.1.10/v1',
    'https://172.16.0.1/v1',
    'https://169.254.169.254/latest/meta-data',
    'https://[fe80::1]/v1',
    'https://[fd00::1]/v1',
    'https://[64:ff9b::7f00:1]/v1',
    'https://localhost/v1',
    'https://LOCALHOST./v1',
    'https://metadata.google.internal/v1',
    'https://llm.corp/v1',
    'http://api.openai.example.com/v1',
    'ftp://api.openai.example.com/v1',
    'https://user:pass@api.openai.example.com/v1',
    'https://api.openai.example.com/v1?key=x',
    'https://api.openai.example.com/v1#x',
    'https://api.openai.example.com/v1?',
    'https://api.openai.example.com/ v1',
    'https://127.0.0.1:11435/v1',
    'http://127.0.0.1:8080/v1',
  ])('refuses the base URL %s as a 422 naming baseUrl', async (baseUrl) => {
    const refused = await put({ baseUrl, apiKey: 'sk-refused' });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([{ field: 'baseUrl', message: expect.any(String) }]);
    expect(JSON.stringify(refused.body)).not.toContain('sk-refused');
  });

  it('allows the hosts PROVIDER_ALLOWED_HOSTS lists, on their port, over http too; webhooks keep their own list', async () => {
    for (const baseUrl of ['http://127.0.0.1:11434/v1', 'http://llm.internal/v1', 'https://LLM.internal./v1']) {
      const allowed = await put({ baseUrl });
      expect(allowed.status, baseUrl).toBe(200);
    }
    const webhook = await ledger.request('POST', '/webhooks', {
      token: admin.accessToken,
      body: { url: 'https://llm.internal/hook', events: ['violation.*'] },
    });
    expect(webhook.status).toBe(422);
    expect(webhook.body).toMatchObject({ errors: [{ field: 'url' }] });
  });

  it('refuses a bad timeout naming it, another tenant and client-scoped users', async () => {
    const short = await put({ baseUrl: 'https://llm.example.com/v1', timeoutMs: 999 });
    expect(short.status).toBe(400);
    expect(JSON.stringify(short.body)).toContain('"field":"timeoutMs"');
    const other = await ledger.signUp('other');
    expect((await put({ baseUrl: 'https://llm.example.com/v1' }, other.accessToken)).status).toBe(404);
    expect((await put({ baseUrl: 'https://llm.example.com/v1' }, admin.accessToken, randomUUID())).status).toBe(404);
    const clientAdmin = await inviteMember(ledger, admin.accessToken, 'client_admin', clientId);
    expect((await put({ baseUrl: 'https://llm.example.com/v1' }, clientAdmin.accessToken)).status).toBe(403);
    const stale = await put({ baseUrl: 'https://llm.example.com/v1' }, admin.accessToken, aiServiceId, {
      'If-Match': '"1"',
    });
    expect(stale.status).toBe(412);
  });

  it('never logs the API key, nor records a refused one (the refusal is recorded, its body never)', async () => {
    const stored = JSON.stringify(await ledger.storedEvents());
    expect(stored).toContain('CommandRefused');
    expect(stored).not.toContain('sk-refused');
    expect(ledger.logs().length).toBeGreaterThan(0);
    expect(ledger.logs()).not.toContain(apiKey);
    expect(ledger.logs()).not.toContain('sk-refused');
  });
});
