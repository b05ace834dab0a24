import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseTokenBudget } from '../../gateway/limits.js';
import { startFakeOpenAiProvider, type FakeOpenAiProvider } from '../support/fake-openai-provider.js';
import { gatewayAdmin } from '../support/gateway.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { needs } from '../support/services.js';
import { approvedService, createClient } from '../support/tenants.js';

const skip = needs('postgres').skip;

/** Without Redis, rates are counted in the process and budgets in the database (gateway_token_budgets). */
describe.skipIf(skip)(`the gateway's limits without Redis${skip ? ' (skipped: no postgres)' : ''}`, () => {
  let ledger: TestLedger;
  let provider: FakeOpenAiProvider;
  let gw: Awaited<ReturnType<typeof gatewayAdmin>>;
  let clientId: string;
  let tenantId: string;
  const sdk = (apiKey: string) => new OpenAI({ baseURL: `${ledger.url}/gateway/v1`, apiKey, maxRetries: 0 });
  const hi = (ai: OpenAI, max_tokens = 10) =>
    ai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens });

  beforeAll(async () => {
    ledger = await startTestLedger({ env: { REDIS_URL: '', PROVIDER_ALLOWED_HOSTS: '127.0.0.1' } });
    provider = await startFakeOpenAiProvider();
    const admin = await ledger.signUp();
    tenantId = admin.tenantId;
    gw = await gatewayAdmin(ledger, admin.tenantId, admin.userId);
    expect(gw.resources.redis).toBeUndefined();
    clientId = await createClient(ledger, admin.accessToken, 'Clinic');
    const service = await approvedService(ledger, admin.accessToken, [clientId]);
    await gw.setProvider(service, { baseUrl: provider.url, apiKey: 'sk-fake' });
  });
  afterAll(async () => {
    await gw?.close();
    await provider?.close();
    await ledger?.close();
  });

  it('counts a key’s requests in the process', async () => {
    const ai = sdk((await gw.issueGatewayKey(clientId, { requestsPerMinute: 1 })).key);
    await hi(ai);
    const error = await hi(ai).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('reserves and settles the monthly budget in the database', async () => {
    await gw.setGatewaySettings(clientId, { monthlyTokenBudget: 100 });
    const ai = sdk((await gw.issueGatewayKey(clientId)).key);
    await hi(ai, 50);
    const month = new Date().toISOString().slice(0, 7);
    // Settled to the provider's usage (11 + 7), from the estimate (1 + 50).
    expect(await new DatabaseTokenBudget(gw.resources.database).used(tenantId, clientId, month)).toBe(18);
    const error = (await hi(ai, 90).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error.status).toBe(429);
    expect(error.code).toBe('insufficient_quota');
  });
});
