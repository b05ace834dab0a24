import { afterAll, beforeAll, describe, it } from 'vitest';
import { aiServicesProjection } from '../../projections/read-models/ai-services.js';
import { gatewayKeysProjection } from '../../projections/read-models/gateway-keys.js';
import { projectionSpecification } from '../support/projection-spec.js';
import { needs, openTestDatabase } from '../support/services.js';

const skip = needs('postgres').skip;

const sealed = { $pii: 'v1', subject: 'h-42', box: 'c2VhbGVk' };
const issued = {
  stream: 'gateway-key/k-1',
  type: 'GatewayKeyIssued',
  data: {
    keyId: 'k-1',
    clientId: 'c-1',
    name: 'Help desk bot',
    keyHash: 'a'.repeat(64),
    keyPrefix: 'clk_0123abcd…wxyz',
    userRef: sealed,
    userRefHash: 'h-42',
    aiServiceIds: ['s-1'],
    requestsPerMinute: 30,
    issuedBy: 'u-1',
  },
};
const used = (requestId: string, keyId: string | null, recordedAt: string) => ({
  stream: `gateway-request/${requestId}`,
  type: 'GatewayRequestRecorded',
  data: { requestId, clientId: 'c-1', keyId, outcome: 'completed' },
  recordedAt,
});

/** The gateway keys read model, and the provider columns of the registry, as projection specs. */
describe.skipIf(skip)(`the gateway keys projection, given events${skip ? ' (skipped: no postgres)' : ''}`, () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    database = await openTestDatabase('spec');
  });
  afterAll(() => database?.drop());

  it('lists an issued key with its sealed user reference, never its hash', async () => {
    await projectionSpecification(database, gatewayKeysProjection)
      .given([issued])
      .then('gateway_keys', [
        {
          key_id: 'k-1',
          client_id: 'c-1',
          name: 'Help desk bot',
          key_prefix: 'clk_0123abcd…wxyz',
          user_ref: sealed,
          ai_service_ids: ['s-1'],
          requests_per_minute: 30,
          status: 'active',
          issued_at: new Date('2026-03-01T09:00:00.000Z'),
          revoked_at: null,
          last_used_at: null,
        },
      ]);
  });

  it("keeps the newest use of a key, whatever the order requests are recorded in, and ignores other keys' and the chat's", async () => {
    await projectionSpecification(database, gatewayKeysProjection)
      .given([
        issued,
        used('r-1', 'k-1', '2026-03-01T10:00:00.000Z'),
        used('r-2', 'k-1', '2026-03-01T12:00:00.000Z'),
        used('r-3', 'k-1', '2026-03-01T11:00:00.000Z'),
        used('r-4', 'k-2', '2026-03-01T13:00:00.000Z'),
        used('r-5', null, '2026-03-01T14:00:00.000Z'),
      ])
      .then('gateway_keys', [{ key_id: 'k-1', last_used_at: new Date('2026-03-01T12:00:00.000Z') }]);
  });

  it('marks a revoked key with its time', async () => {
    await projectionSpecification(database, gatewayKeysProjection)
      .given([
        issued,
        {
          stream: 'gateway-key/k-1',
          type: 'GatewayKeyRevoked',
          data: { keyId: 'k-1', clientId: 'c-1', revokedBy: 'u-2' },
          recordedAt: '2026-03-03T08:00:00.000Z',
        },
      ])
      .then('gateway_keys', [{ status: 'revoked', revoked_at: new Date('2026-03-03T08:00:00.000Z') }]);
  });

  it("records a service's provider settings, whether a key is set and never the key", async () => {
    const registered = {
      stream: 'ai-service/s-1',
      type: 'AiServiceRegistered',
      data: {
        aiServiceId: 's-1',
        name: 'Chat',
        vendor: 'V',
        models: ['m'],
        baaSigned: true,
        dpaSigned: true,
        dataRetentionDays: 0,
      },
    };
    const set = (apiKey: unknown) => ({
      stream: 'ai-service/s-1',
      type: 'AiServiceProviderSet',
      data: {
        aiServiceId: 's-1',
        baseUrl: 'https://llm.example.com/v1',
        apiKey,
        apiKeySubject: 'ai-service-provider:s-1',
        timeoutMs: 5000,
        setBy: 'u-1',
      },
    });
    await projectionSpecification(database, aiServicesProjection)
      .given([registered, set({ $pii: 'v1', subject: 'ai-service-provider:s-1', box: 'c2VhbGVk' })])
      .then('ai_services', [
        { provider_base_url: 'https://llm.example.com/v1', provider_api_key_set: true, provider_timeout_ms: 5000 },
      ]);
    await projectionSpecification(database, aiServicesProjection)
      .given([registered])
      .then('ai_services', [{ provider_base_url: null, provider_api_key_set: null, provider_timeout_ms: null }]);
    await projectionSpecification(database, aiServicesProjection)
      .given([registered, set({ $pii: 'v1', subject: 'x', box: 'eA' }), set(null)])
      .then('ai_services', [{ provider_api_key_set: false }]);
  });
});
