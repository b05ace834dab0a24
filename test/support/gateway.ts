import { randomUUID } from 'node:crypto';
import { CommandHandler, type CommandContext } from '../../command-api/http/command-handler.js';
import { aiServiceDecider, aiServicePersonalData, aiServiceStream } from '../../domain/ai-governance/ai-service.js';
import {
  clientAiDecider,
  clientAiStream,
  DEFAULT_GATEWAY_SETTINGS,
  type AiPolicy,
  type GatewaySettings,
} from '../../domain/ai-governance/client-ai-governance.js';
import { gatewayKeyDecider, gatewayKeyPersonalData, gatewayKeyStream } from '../../domain/gateway/gateway-key.js';
import { makeGatewayKey } from '../../gateway/keys.js';
import { createLogger } from '../../infrastructure/logging/logger.js';
import { openResources, type Resources } from '../../infrastructure/runtime/resources.js';
import type { TestLedger } from './ledger.js';

/**
 * Gateway set-up for tests, by executing the commands directly against the test ledger's event store (the HTTP
 * routes for keys, providers and gateway settings are built elsewhere; these functions are where to switch to them).
 */
export async function gatewayAdmin(ledger: TestLedger, tenantId: string, actorId: string) {
  const resources: Resources = await openResources(ledger.config, createLogger({ level: 'silent', format: 'json' }), {
    migrate: false,
  });
  const handler = new CommandHandler(resources.eventStore, resources.vault);
  const context = (): CommandContext => ({ tenantId, actorId, correlationId: randomUUID() });
  return {
    resources,
    handler,
    /** Issues a key for a client: the key itself (shown once) and its id. */
    async issueGatewayKey(
      clientId: string,
      opts: { name?: string; userRef?: string; aiServiceIds?: string[]; requestsPerMinute?: number } = {},
    ): Promise<{ keyId: string; key: string }> {
      const keyId = randomUUID();
      const { key, keyHash, keyPrefix } = makeGatewayKey(tenantId, keyId);
      await handler.execute(
        { decider: gatewayKeyDecider, personalData: gatewayKeyPersonalData },
        gatewayKeyStream(tenantId, keyId),
        {
          type: 'IssueGatewayKey',
          keyId,
          clientId,
          name: opts.name ?? 'test key',
          keyHash,
          keyPrefix,
          userRef: opts.userRef ?? null,
          userRefHash: opts.userRef ? resources.tenantHash(tenantId, 'user-ref', opts.userRef) : null,
          aiServiceIds: opts.aiServiceIds ?? null,
          requestsPerMinute: opts.requestsPerMinute ?? null,
          issuedBy: actorId,
        },
        context(),
        { expect: 'new' },
      );
      return { keyId, key };
    },
    async revokeGatewayKey(keyId: string): Promise<void> {
      await handler.execute(
        { decider: gatewayKeyDecider, personalData: gatewayKeyPersonalData },
        gatewayKeyStream(tenantId, keyId),
        { type: 'RevokeGatewayKey', revokedBy: actorId },
        context(),
      );
    },
    async setProvider(aiServiceId: string, provider: { baseUrl: string; apiKey?: string | null; timeoutMs?: number }) {
      await handler.execute(
        { decider: aiServiceDecider, personalData: aiServicePersonalData },
        aiServiceStream(tenantId, aiServiceId),
        {
          type: 'SetAiServiceProvider',
          baseUrl: provider.baseUrl,
          apiKey: provider.apiKey,
          timeoutMs: provider.timeoutMs ?? 10_000,
          setBy: actorId,
        },
        context(),
        { expect: 'existing' },
      );
    },
    async setGatewaySettings(clientId: string, settings: Partial<GatewaySettings>) {
      await handler.execute(
        { decider: clientAiDecider },
        clientAiStream(tenantId, clientId),
        { type: 'SetGatewaySettings', settings: { ...DEFAULT_GATEWAY_SETTINGS, ...settings } },
        context(),
      );
    },
    async setAiPolicy(clientId: string, policy: Partial<AiPolicy>) {
      await handler.execute(
        { decider: clientAiDecider },
        clientAiStream(tenantId, clientId),
        { type: 'SetAiPolicy', policy: { rules: [], unapprovedService: 'block', customPatterns: [], ...policy } },
        context(),
      );
    },
    close: () => resources.close(),
  };
}
