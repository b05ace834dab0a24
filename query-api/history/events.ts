import { z } from 'zod';
import { chatSessionPersonalData } from '../../domain/chat/chat-session.js';
import type { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import type { RecordedEvent } from '../../infrastructure/event-store/types.js';
import { Id, Position } from '../../infrastructure/http/contract/schemas.js';

/** An event of the log as auditors read it: personal data opened, credentials hidden, its hash-chain links shown. */
export const HistoryEvent = z
  .object({
    eventId: Id,
    streamId: z.string(),
    revision: z.int(),
    position: Position,
    type: z.string(),
    schemaVersion: z.int(),
    data: z.record(z.string(), z.unknown()),
    metadata: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'HistoryEvent' });

const SECRET_KEYS = /password|secret|token|^apiKey$|^keyHash$/i;
/** Counts and settings whose names merely mention tokens (of an AI model): nothing to hide. */
const NOT_SECRET = new Set(['monthlyTokenBudget', 'tokensIn', 'tokensOut', 'tokenSource']);

/**
 * Credentials stay hidden from history, sealed or not: password hashes, token hashes, webhook secrets, an AI
 * provider's API key (sealed for the gateway's use, never for reading) and a gateway key's hash.
 */
function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_KEYS.test(k) && !NOT_SECRET.has(k) ? '[redacted]' : withoutSecrets(v),
      ]),
    );
  return value;
}

/**
 * Personal data that only its own subject (and those the feature names) may read, never the log's readers: what a
 * user wrote to and read from an AI service in a chat session. History shows it as PRIVATE, unopened.
 */
const PRIVATE_FIELDS: Record<string, readonly string[]> = Object.fromEntries(
  Object.entries(chatSessionPersonalData).map(([type, { fields }]) => [type, fields]),
);
const PRIVATE = '[private]';

function withoutPrivate(type: string, data: unknown): unknown {
  const fields = PRIVATE_FIELDS[type];
  if (!fields || typeof data !== 'object' || data === null) return data;
  return { ...data, ...Object.fromEntries(fields.filter((f) => f in data).map((f) => [f, PRIVATE])) };
}

/** An event as history shows it (its tenant is the reader's own, and not repeated). */
export async function historyEventOf(
  event: RecordedEvent,
  vault: PersonalDataVault,
): Promise<z.output<typeof HistoryEvent>> {
  const { tenantId: _tenant, hash, previousHash, ...metadata } = event.metadata;
  return {
    eventId: event.id,
    streamId: event.streamId,
    revision: event.revision,
    position: event.position,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: withoutSecrets(await vault.reveal(withoutPrivate(event.type, event.data))) as Record<string, unknown>,
    metadata: { ...metadata, hash, previousHash },
  };
}
