import type { DomainEvent } from '../../domain/decider.js';
import { clientDecider, type ClientState } from '../../domain/clients/client.js';
import { assertClientAccess, type Authenticated } from '../../infrastructure/http/authentication.js';
import { notFound } from '../../infrastructure/http/problem.js';
import { clientStream } from '../../domain/clients/client.js';
import type { Aggregate, CommandHandler } from './command-handler.js';

/**
 * Loads an aggregate that belongs to a client, as the caller may see it: missing, in another tenant (its stream id
 * begins with another tenant) or of another client for a client-scoped user, it is the same 404.
 */
export async function loadScoped<C, E extends DomainEvent, S extends { status: string; clientId?: string }>(
  handler: CommandHandler,
  aggregate: Aggregate<C, E, S>,
  streamId: string,
  actor: Authenticated,
  what: string,
): Promise<S> {
  const { state } = await handler.load(aggregate, streamId);
  if (state.status === 'none') throw notFound(what);
  assertClientAccess(actor, state.clientId!);
  return state;
}

/** The client named in a request body must be one of the caller's active clients; answers its state. */
export async function requireActiveClient(
  handler: CommandHandler,
  actor: Authenticated,
  clientId: string,
): Promise<ClientState> {
  assertClientAccess(actor, clientId);
  const { state } = await handler.load({ decider: clientDecider }, clientStream(actor.tenantId, clientId));
  if (state.status !== 'active') {
    throw notFound('active client', 'clientId');
  }
  return state;
}
