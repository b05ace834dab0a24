import type { Action } from '../ai-governance/client-ai-governance.js';
import { DomainError, type Decider, type DomainEvent } from '../decider.js';

/**
 * One request that passed through the gateway (or was refused at it), as the ledger remembers it: who sent it
 * (client, key, a keyed hash of the user reference), where it went (service, model), what the policy did, how many
 * tokens it cost and how long it took. Never the text, never a value found in it, never a key.
 */
export const GATEWAY_ENDPOINTS = ['chat.completions', 'embeddings'] as const;
export type GatewayEndpoint = (typeof GATEWAY_ENDPOINTS)[number];

/** How a request ended. Everything but `completed` was refused or failed, and answered as an OpenAI-shaped error. */
export const GATEWAY_OUTCOMES = [
  'completed',
  /** The input policy (or the output policy, on an answer not yet sent) blocked it. */
  'blocked',
  /** No service the client approved (and the key may use) offers the model: shadow AI. */
  'unapproved-model',
  /** A part the engine cannot read (an image, a file), under a policy that blocks them. */
  'unanalysable',
  'rate-limited',
  'budget-exhausted',
  'provider-error',
  'provider-timeout',
  /** The caller went away before the answer was complete. */
  'cancelled',
] as const;
export type GatewayOutcome = (typeof GATEWAY_OUTCOMES)[number];

/** Findings of one entity type that one action was taken on, in the prompt or in the answer. */
export interface EntityOutcome {
  entity: string;
  action: Action;
  count: number;
}

export interface GatewayRequestRecordedData {
  requestId: string;
  clientId: string;
  /** The key it came with; null for the ledger's own chat, which signs in as a user. */
  keyId: string | null;
  /** The user it came from, for the ledger's own chat; null through a key. */
  userId: string | null;
  userRefHash: string | null;
  endpoint: GatewayEndpoint;
  streamed: boolean;
  /** The model the caller asked for, as written (at most 200 characters). */
  model: string;
  /** The service the request was routed to; null when none was (an unapproved model, a refusal before routing). */
  aiServiceId: string | null;
  /** The analysis of the input (its PromptAnalyzed event); null when the request was refused before analysis. */
  analysisId: string | null;
  /** The input policy's decision; null before analysis. */
  decision: Action | null;
  outcome: GatewayOutcome;
  /** The provider's HTTP status, when it answered. */
  providerStatus: number | null;
  tokensIn: number;
  tokensOut: number;
  /** Where the token counts come from: the provider's usage, or counted by the ledger when it gave none. */
  tokenSource: 'provider' | 'counted' | 'none';
  /** From the request's arrival to its last byte, in milliseconds. */
  latencyMs: number;
  findings: { input: EntityOutcome[]; output: EntityOutcome[] };
}

export type GatewayRequestEvent = DomainEvent<'GatewayRequestRecorded', GatewayRequestRecordedData>;
export type GatewayRequestCommand = { type: 'RecordGatewayRequest' } & GatewayRequestRecordedData;

/** One gateway request's stream, under its tenant. */
export const gatewayRequestStream = (tenantId: string, requestId: string): string =>
  `${tenantId}/gateway-request/${requestId}`;

export interface GatewayRequestState {
  recorded: boolean;
}

export const gatewayRequestDecider: Decider<GatewayRequestCommand, GatewayRequestEvent, GatewayRequestState> = {
  initialState: () => ({ recorded: false }),
  decide(command, state) {
    if (state.recorded) throw new DomainError('conflict', 'The gateway request is already recorded');
    const { type: _type, ...data } = command;
    return [{ type: 'GatewayRequestRecorded', data: { ...data, model: data.model.slice(0, 200) } }];
  },
  evolve: () => ({ recorded: true }),
};
