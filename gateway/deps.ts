import type { CommandHandler } from '../command-api/http/command-handler.js';
import type { OutboundGuard } from '../infrastructure/outbound/guard.js';
import type { Resources } from '../infrastructure/runtime/resources.js';

/** What the gateway needs from the process: built once (gatewayDeps) and shared by the gateway routes and the chat. */
export interface GatewayDeps {
  resources: Pick<Resources, 'eventStore' | 'tenantHash' | 'config' | 'database' | 'redis' | 'vault'>;
  handler: CommandHandler;
  /** Where providers may be reached (PROVIDER_ALLOWED_HOSTS), checked again at every call. */
  providerGuard: OutboundGuard;
}
