import { ChainVerifier, type ChainBreak } from './hash-chain.js';
import type { EventStore, RecordedEvent } from './types.js';

export type VerificationResult =
  { ok: true; eventsChecked: number } | { ok: false; eventsChecked: number; firstBreak: ChainBreak };

async function verify(events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>): Promise<VerificationResult> {
  const verifier = new ChainVerifier();
  for await (const event of events) {
    const problem = verifier.check(event);
    if (problem) return { ok: false, eventsChecked: verifier.count, firstBreak: problem };
  }
  return { ok: true, eventsChecked: verifier.count };
}

/** Recomputes the hash chain of one stream and reports the first event whose hash or link does not match. */
export async function verifyStream(store: EventStore, streamId: string): Promise<VerificationResult> {
  return verify(await store.readStream(streamId));
}

/** Verifies every stream of a tenant (or only `streams` of it) in one pass over its part of the global log. */
export async function verifyTenant(
  store: EventStore,
  tenantId: string,
  streams?: ReadonlySet<string>,
): Promise<VerificationResult> {
  const events = store.readAll({ tenantId });
  return verify(streams ? only(events, streams) : events);
}

async function* only(events: AsyncIterable<RecordedEvent>, streams: ReadonlySet<string>) {
  for await (const event of events) if (streams.has(event.streamId)) yield event;
}
