import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../database/database.js';

/**
 * Crypto-shredding of personal data.
 *
 * Events are immutable, yet a data subject may ask to be forgotten. So fields that hold personal data (an email, a
 * name) are written to events encrypted under a key of their own subject (AES-256-GCM). Erasing the subject deletes
 * that key: the events, and their hash chain, stay as they were, and those fields read back as ERASED.
 *
 * Subject keys are stored wrapped (AES-256-GCM) with the ledger's master key, bound to the subject id.
 */

/** What an erased field reads back as. */
export const ERASED = '[erased]';

/** A sealed field as it is stored inside event data. */
export interface SealedValue {
  $pii: 'v1';
  subject: string;
  /** base64: 12-byte IV ‖ ciphertext ‖ 16-byte tag */
  box: string;
}

export function isSealed(value: unknown): value is SealedValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as SealedValue).$pii === 'v1' &&
    typeof (value as SealedValue).subject === 'string'
  );
}

export class SubjectErasedError extends Error {
  override readonly name = 'SubjectErasedError';
  constructor(readonly subjectId: string) {
    super(`Data subject ${subjectId} has been erased: no new personal data can be stored for it`);
  }
}

/** AES-256-GCM under `key`, bound to `aad`: 12-byte IV ‖ ciphertext ‖ 16-byte tag. */
export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

export function open(key: Buffer, box: Buffer, aad: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, box.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(box.subarray(box.length - 16));
  return Buffer.concat([decipher.update(box.subarray(12, box.length - 16)), decipher.final()]);
}

/** What a wrapped subject key is bound to: its subject. */
export const subjectKeyAad = (subjectId: string): string => `key:${subjectId}`;

export class PersonalDataVault {
  private readonly masterKey: Buffer;

  constructor(
    private readonly database: Database,
    masterKey: Buffer,
  ) {
    if (masterKey.length !== 32) throw new RangeError('The master key must be 32 bytes (AES-256)');
    this.masterKey = masterKey;
  }

  /** Encrypts a value under its subject's key, creating the key on first use. */
  async seal(tenantId: string, subjectId: string, value: string): Promise<SealedValue> {
    const key = await this.keyFor(tenantId, subjectId);
    return {
      $pii: 'v1',
      subject: subjectId,
      box: seal(key, Buffer.from(value, 'utf8'), `field:${subjectId}`).toString('base64'),
    };
  }

  /** Returns the plaintext, or ERASED when the subject's key is gone. */
  async open(value: SealedValue): Promise<string> {
    const key = await this.existingKey(value.subject);
    if (!key) return ERASED;
    return open(key, Buffer.from(value.box, 'base64'), `field:${value.subject}`).toString('utf8');
  }

  /** Replaces every sealed field in a JSON value (event data, say) by its plaintext or ERASED. */
  async reveal<T>(data: T): Promise<T> {
    if (isSealed(data)) return (await this.open(data)) as T;
    if (Array.isArray(data)) return (await Promise.all(data.map((item) => this.reveal(item)))) as T;
    if (typeof data === 'object' && data !== null) {
      const entries = await Promise.all(Object.entries(data).map(async ([k, v]) => [k, await this.reveal(v)] as const));
      return Object.fromEntries(entries) as T;
    }
    return data;
  }

  /** Deletes the subject's key for good. Returns false if there was nothing to erase. */
  async erase(tenantId: string, subjectId: string): Promise<boolean> {
    return this.database.db.transaction().execute(async (trx) => {
      await sql`insert into erased_subjects (subject_id, tenant_id) values (${subjectId}, ${tenantId}) on conflict do nothing`.execute(
        trx,
      );
      const deleted =
        await sql`delete from subject_keys where subject_id = ${subjectId} and tenant_id = ${tenantId}`.execute(trx);
      return Number(deleted.numAffectedRows ?? 0) > 0;
    });
  }

  private async keyFor(tenantId: string, subjectId: string): Promise<Buffer> {
    const existing = await this.existingKey(subjectId);
    if (existing) return existing;
    const erased = await sql`select 1 from erased_subjects where subject_id = ${subjectId}`.execute(this.database.db);
    if (erased.rows.length > 0) throw new SubjectErasedError(subjectId);
    const key = randomBytes(32);
    const wrapped = seal(this.masterKey, key, subjectKeyAad(subjectId));
    // Two writers may race to create the same subject's key: the first one wins, the other reads it back.
    await sql`insert into subject_keys (subject_id, tenant_id, wrapped_key) values (${subjectId}, ${tenantId}, ${wrapped})
      on conflict (subject_id) do nothing`.execute(this.database.db);
    const stored = await this.existingKey(subjectId);
    if (!stored) throw new SubjectErasedError(subjectId);
    return stored;
  }

  private async existingKey(subjectId: string): Promise<Buffer | undefined> {
    // No cache on purpose: another process may erase the subject at any moment, and it must take effect at once.
    const { rows } = await sql<{
      wrapped_key: Uint8Array;
    }>`select wrapped_key from subject_keys where subject_id = ${subjectId}`.execute(this.database.db);
    const row = rows[0];
    if (!row) return undefined;
    return open(this.masterKey, Buffer.from(row.wrapped_key), subjectKeyAad(subjectId));
  }
}
