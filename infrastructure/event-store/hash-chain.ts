import { randomUUID } from 'node:crypto';
import { canonicalJson, sha256Hex } from '../hashing.js';
import { InvalidAppendError, type NewEvent, type RecordedEvent, type UnsealedMetadata } from './types.js';

/**
 * Tamper evidence. Each event's metadata carries the SHA-256 of its own canonical content (RFC 8785 JSON), and that
 * content includes the hash of the previous event in the stream. Changing, removing or reordering any stored event
 * breaks the chain from there on. Personal data is hashed in its encrypted form, so crypto-shredding a subject keeps
 * the chain valid.
 */
export const GENESIS_HASH = '0'.repeat(64);

/** The parts of an event that its hash covers: everything except its global position and the hash itself. */
export interface HashedContent {
  id: string;
  streamId: string;
  revision: number;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: UnsealedMetadata;
}

export function hashEvent(content: HashedContent): string {
  const canonical = canonicalJson(content);
  if (canonical === undefined) throw new InvalidAppendError('Event content cannot be serialised to JSON');
  return sha256Hex(canonical);
}

/** An event ready to be written: ids, revision, timestamp and hash chain filled in. */
export type SealedEvent = Omit<RecordedEvent, 'position'>;

/**
 * Prepares a batch for a stream whose last event has `previousHash` and revision `firstRevision - 1`.
 * Validates what the store relies on: a tenant in the metadata that owns the stream, and JSON-only data.
 */
export function sealEvents(
  streamId: string,
  events: readonly NewEvent[],
  firstRevision: number,
  previousHash: string,
  now: Date,
): SealedEvent[] {
  if (events.length === 0) throw new InvalidAppendError('An append needs at least one event');
  const sealed: SealedEvent[] = [];
  let link = previousHash;
  events.forEach((event, index) => {
    const { tenantId, actorId, correlationId } = event.metadata;
    if (!tenantId || !actorId || !correlationId) {
      throw new InvalidAppendError(`Event ${event.type}: metadata needs tenantId, actorId and correlationId`);
    }
    if (!streamId.startsWith(`${tenantId}/`)) {
      throw new InvalidAppendError(
        `Stream ${streamId} does not belong to tenant ${tenantId}: stream ids begin with "<tenantId>/"`,
      );
    }
    // Round-trip through JSON so that what we hash is exactly what the store gives back (no undefined, no Dates).
    const data = JSON.parse(JSON.stringify(event.data ?? null)) as unknown;
    const extra = JSON.parse(JSON.stringify(event.metadata)) as Record<string, unknown>;
    const metadata: UnsealedMetadata = {
      ...extra,
      tenantId,
      actorId,
      correlationId,
      causationId: event.metadata.causationId ?? null,
      recordedAt: now.toISOString(),
      previousHash: link,
    };
    const content: HashedContent = {
      id: event.id ?? randomUUID(),
      streamId,
      revision: firstRevision + index,
      type: event.type,
      schemaVersion: event.schemaVersion ?? 1,
      data,
      metadata,
    };
    const hash = hashEvent(content);
    sealed.push({ ...content, metadata: { ...metadata, hash } });
    link = hash;
  });
  return sealed;
}

export type ChainBreak =
  | { reason: 'hash-mismatch'; streamId: string; eventId: string; revision: number; expected: string; found: string }
  | { reason: 'broken-link'; streamId: string; eventId: string; revision: number; expected: string; found: string }
  | {
      reason: 'missing-revision';
      streamId: string;
      eventId: string;
      revision: number;
      expected: number;
      found: number;
    };

/** Checks events one stream at a time, in order; feed it the events of any number of interleaved streams. */
export class ChainVerifier {
  private readonly heads = new Map<string, { hash: string; revision: number }>();
  count = 0;

  /** Returns the first problem with this event, or undefined when it links and hashes correctly. */
  check(event: RecordedEvent): ChainBreak | undefined {
    const head = this.heads.get(event.streamId) ?? { hash: GENESIS_HASH, revision: -1 };
    const where = { streamId: event.streamId, eventId: event.id, revision: event.revision };
    this.count++;
    if (event.revision !== head.revision + 1) {
      return { reason: 'missing-revision', ...where, expected: head.revision + 1, found: event.revision };
    }
    if (event.metadata.previousHash !== head.hash) {
      return { reason: 'broken-link', ...where, expected: head.hash, found: String(event.metadata.previousHash) };
    }
    const { hash, ...metadata } = event.metadata;
    const recomputed = hashEvent({
      id: event.id,
      streamId: event.streamId,
      revision: event.revision,
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
      metadata: metadata as UnsealedMetadata,
    });
    if (recomputed !== hash) return { reason: 'hash-mismatch', ...where, expected: recomputed, found: String(hash) };
    this.heads.set(event.streamId, { hash, revision: event.revision });
    return undefined;
  }
}
