import { sql } from 'kysely';
import type { Database } from '../database/database.js';
import { open, seal, subjectKeyAad } from './personal-data.js';

/**
 * The master key only wraps: subject keys (personal-data.ts) and the hash root. The hash root is what the keyed
 * hashes derive from (the email index, tenants' prompt, reference, idempotency and recovery-code hashes): those name
 * streams and match stored values, so they must never change. It is the first master key the database was used
 * with, kept in key_material wrapped under the current master key; rotating the master key rewraps it with the rest.
 */
const HASH_ROOT = 'hash-root';
const rootAad = (name: string): string => `root:${name}`;

export class WrongMasterKeyError extends Error {
  override readonly name = 'WrongMasterKeyError';
  constructor() {
    super(
      'The master key does not open the keys stored in this database: MASTER_KEY (or DATA_DIR/master.key) is not the key this database was last used or rotated with',
    );
  }
}

function unwrap(key: Buffer, box: Uint8Array, aad: string): Buffer {
  try {
    return open(key, Buffer.from(box), aad);
  } catch {
    throw new WrongMasterKeyError();
  }
}

/**
 * The hash root, unwrapped with the master key. The first time (a new database, or one from before key_material
 * existed) it is the master key itself, stored so that it outlives a rotation; concurrent first starts agree on one.
 */
export async function hashRoot(database: Database, masterKey: Buffer): Promise<Buffer> {
  const read = async () =>
    (
      await sql<{
        wrapped: Uint8Array;
      }>`select wrapped from key_material where name = ${HASH_ROOT}`.execute(database.db)
    ).rows[0];
  let row;
  try {
    row = await read();
  } catch (error) {
    // Not migrated yet (MIGRATE_ON_START=false before `ledger migrate`): the hashes are the master key's, as before.
    if ((error as { code?: string }).code === '42P01') return masterKey;
    throw error;
  }
  if (!row) {
    await sql`insert into key_material (name, wrapped) values (${HASH_ROOT}, ${seal(masterKey, masterKey, rootAad(HASH_ROOT))})
      on conflict (name) do nothing`.execute(database.db);
    row = (await read())!;
  }
  return unwrap(masterKey, row.wrapped, rootAad(HASH_ROOT));
}

export interface RewrapProgress {
  done: number;
  total: number;
}

/**
 * Rewraps every subject key and the hash root from `oldKey` to `newKey`, in one transaction: either all of them are
 * under the new key or (on any failure, a wrong old key say) all stay under the old one. Keys are taken in batches
 * by subject id, rows locked, so that memory holds one batch. Needs the schema's owner (ledger_app may not update).
 */
export async function rewrapAll(
  database: Database,
  oldKey: Buffer,
  newKey: Buffer,
  onProgress?: (progress: RewrapProgress) => void,
): Promise<{ subjectKeys: number }> {
  if (newKey.length !== 32) throw new RangeError('The new master key must be 32 bytes (AES-256)');
  // The root exists before the rotation, so that it is rewrapped with the rest (not derived from the new key later).
  await hashRoot(database, oldKey);
  return database.db.transaction().execute(async (trx) => {
    await sql`lock table subject_keys, key_material in share row exclusive mode`.execute(trx);
    const total = Number(
      (await sql<{ count: string }>`select count(*) as count from subject_keys`.execute(trx)).rows[0]!.count,
    );
    const roots = await sql<{ name: string; wrapped: Uint8Array }>`select name, wrapped from key_material`.execute(trx);
    for (const { name, wrapped } of roots.rows) {
      const plain = unwrap(oldKey, wrapped, rootAad(name));
      await sql`update key_material set wrapped = ${seal(newKey, plain, rootAad(name))} where name = ${name}`.execute(
        trx,
      );
    }
    let done = 0;
    let after = '';
    onProgress?.({ done, total });
    for (;;) {
      const { rows } = await sql<{ subject_id: string; wrapped_key: Uint8Array }>`
        select subject_id, wrapped_key from subject_keys where subject_id > ${after} order by subject_id limit 1000`.execute(
        trx,
      );
      if (rows.length === 0) break;
      const ids = rows.map((row) => row.subject_id);
      const boxes = rows.map((row) =>
        seal(newKey, unwrap(oldKey, row.wrapped_key, subjectKeyAad(row.subject_id)), subjectKeyAad(row.subject_id)),
      );
      await sql`update subject_keys set wrapped_key = rewrapped.box
        from unnest(${ids}::text[], ${boxes}::bytea[]) as rewrapped(id, box)
        where subject_keys.subject_id = rewrapped.id`.execute(trx);
      done += rows.length;
      after = ids[ids.length - 1]!;
      onProgress?.({ done, total: Math.max(total, done) });
    }
    return { subjectKeys: done };
  });
}
