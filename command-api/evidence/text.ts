import { sql } from 'kysely';
import type { BlobStore } from '../../infrastructure/blobs/blob-store.js';
import type { Database } from '../../infrastructure/database/database.js';
import { extractText, hasText } from '../../infrastructure/text-extraction/extract-text.js';

/**
 * Keeps the text of a newly stored evidence file for search (evidence_texts, by tenant and SHA-256), before its
 * EvidenceUploaded event is appended, so that the search projection finds it when it indexes that event. Once per
 * file and tenant. A file whose text cannot be read is indexed by its title and file name only: search is no reason to
 * refuse evidence, so nothing here fails the upload.
 */
export async function keepEvidenceText(
  database: Database,
  blobs: BlobStore,
  file: { tenantId: string; sha256: string; contentType: string },
): Promise<'kept' | 'known' | 'none' | 'unreadable'> {
  if (!hasText(file.contentType)) return 'none';
  const db = database.db;
  const { rows } =
    await sql`select 1 from evidence_texts where tenant_id = ${file.tenantId} and sha256 = ${file.sha256}`.execute(db);
  if (rows.length > 0) return 'known';
  let text: string | undefined;
  try {
    text = await extractText(await blobs.open(file.sha256), file.contentType);
  } catch {
    return 'unreadable';
  }
  if (text === undefined) return 'none';
  await sql`insert into evidence_texts (tenant_id, sha256, text) values (${file.tenantId}, ${file.sha256}, ${text})
    on conflict do nothing`.execute(db);
  return 'kept';
}
