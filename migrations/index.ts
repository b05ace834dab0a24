import type { Migration } from 'kysely';
import * as eventStore from './0001_event_store.js';
import * as subjectKeys from './0002_subject_keys.js';
import * as idempotencyKeys from './0003_idempotency_keys.js';

/** Every migration, in order. Listed statically so they run the same from TypeScript sources and compiled output. */
export const migrations: Record<string, Migration> = {
  '0001_event_store': eventStore,
  '0002_subject_keys': subjectKeys,
  '0003_idempotency_keys': idempotencyKeys,
};
