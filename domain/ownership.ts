/** Streams named after the client they belong to: `<tenant>/client/<clientId>`, `<tenant>/client-ai/<clientId>`. */
const NAMED_AFTER_CLIENT = new Set(['client', 'client-ai']);

/**
 * The client company an event belongs to, or null when it is the MSP's own (its organization, the AI service
 * registry, MSP-wide users and webhooks). `sources` are looked at in order, the first that says (a `clientId`,
 * string or null) decides: the event's data, then its aggregate's state; else the stream's name. Recorded in every
 * event's metadata as `clientId`, so that a client-scoped reader of the log sees its own client's events only.
 */
export function clientOf(streamId: string, ...sources: unknown[]): string | null {
  for (const source of sources) {
    if (typeof source !== 'object' || source === null || !('clientId' in source)) continue;
    const { clientId } = source as { clientId: unknown };
    if (typeof clientId === 'string') return clientId;
    if (clientId === null) return null;
  }
  const [, kind, id] = streamId.split('/');
  return kind !== undefined && NAMED_AFTER_CLIENT.has(kind) && id ? id : null;
}
