import {
  aiServiceDecider,
  aiServicePersonalData,
  aiServiceStream,
  type AiServiceState,
} from '../domain/ai-governance/ai-service.js';
import type { ClientAiState } from '../domain/ai-governance/client-ai-governance.js';
import type { ClientState } from '../domain/clients/client.js';
import type { Loaded, StreamToLoad } from '../command-api/http/command-handler.js';

/**
 * Who is calling through the gateway: a client's gateway key, or (for the ledger's own chat) a signed-in user of
 * that client. Everything the gateway decides about a request starts from here.
 */
export interface GatewayCaller {
  tenantId: string;
  clientId: string;
  /** The key the request came with; null for the chat, which signs in as a user. */
  keyId: string | null;
  /** The signed-in user, for the chat; null through a key. */
  userId: string | null;
  /** Who is sending, as the key (or the chat) names them; recorded only as a keyed hash, and sealed in violations. */
  userRef: string | null;
  userRefHash: string | null;
  /** The services the caller may reach (each still needs the client's approval); null: every approved one. */
  aiServiceIds: string[] | null;
  /** Requests a minute; null: the configured default. */
  requestsPerMinute: number | null;
}

/** What was read with a caller's key, in the same round trip (keys.ts authenticate): the pipeline's to reuse. */
export interface CallerStanding {
  client: Loaded<ClientState>;
  governance: Loaded<ClientAiState>;
  /** Services read with it (those the key led to last time), with their provider's API key unsealed. */
  services: Map<string, AiServiceState>;
}

/** The standing read with a caller's key, set where the key was checked (router.ts), taken by the pipeline. */
export const standingRead = new WeakMap<GatewayCaller, CallerStanding>();

/**
 * An AI service as the gateway routes to it: with its provider's API key unsealed, and cached by the command handler
 * (caught up on every load). Safe to cache revealed: the key's subject (providerKeySubject) is a service, never
 * erased; a new key or none is a new AiServiceProviderSet, which the next load reads.
 */
export const routeAggregate = { decider: aiServiceDecider, personalData: aiServicePersonalData, cache: true };

export const routeStream = (tenantId: string, aiServiceId: string): StreamToLoad => ({
  aggregate: routeAggregate,
  streamId: aiServiceStream(tenantId, aiServiceId),
});
