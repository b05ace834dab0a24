import type { CommandHandler } from '../command-api/http/command-handler.js';
import { OutboundGuard } from '../infrastructure/outbound/guard.js';
import type { Resources } from '../infrastructure/runtime/resources.js';
import { KeyHints } from './keys.js';
import { DatabaseTokenBudget, RedisTokenBudget, RequestRate, type TokenBudget } from './limits.js';

/** What the gateway needs from the process: built once (gatewayDeps) and shared by the gateway routes and the chat. */
export interface GatewayDeps {
  resources: Pick<Resources, 'eventStore' | 'tenantHash' | 'config' | 'database' | 'redis'>;
  handler: CommandHandler;
  /** Where providers may be reached (PROVIDER_ALLOWED_HOSTS), checked again at every call. */
  providerGuard: OutboundGuard;
  rate: RequestRate;
  budget: TokenBudget;
  /** Which streams to read with a key (keys.ts). */
  keyHints: KeyHints;
}

/**
 * The gateway's dependencies for a process: Redis for rates and budgets where it is configured, else the process
 * (rates) and the database (budgets). The provider guard is Resources' own when it has one (PROVIDER_ALLOWED_HOSTS).
 */
export function gatewayDeps(
  resources: GatewayDeps['resources'] & { providerGuard?: OutboundGuard },
  handler: CommandHandler,
): GatewayDeps {
  const { config, redis } = resources;
  return {
    resources,
    handler,
    providerGuard: resources.providerGuard ?? new OutboundGuard({ allowedHosts: config.PROVIDER_ALLOWED_HOSTS }),
    rate: new RequestRate(redis, config.REDIS_KEY_PREFIX),
    budget: redis ? new RedisTokenBudget(redis, config.REDIS_KEY_PREFIX) : new DatabaseTokenBudget(resources.database),
    keyHints: new KeyHints(),
  };
}
