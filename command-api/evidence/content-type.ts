import { fileTypeFromBuffer } from 'file-type';

/** What evidence may be: checked by the file's own bytes, never by what the client claims. */
const BINARY: Record<string, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export const ALLOWED_TYPES = [...Object.values(BINARY), 'text/plain', 'text/csv', 'application/json'];

/** Text has no magic bytes: UTF-8 that decodes cleanly and holds no NUL or other control bytes. */
function looksLikeText(head: Buffer): boolean {
  if (head.length === 0) return false;
  // A multi-byte character may be cut at the end of the sample; judge the sample without its last 3 bytes.
  const sample = head.length > 4 ? head.subarray(0, head.length - 3) : head;
  if (sample.some((byte) => byte === 0 || (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d)))
    return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample);
    return true;
  } catch {
    return false;
  }
}

/** The content type of an allowed file, or undefined when the bytes are not one of the allowed kinds. */
export async function detectContentType(head: Buffer, fileName: string): Promise<string | undefined> {
  const detected = await fileTypeFromBuffer(head);
  if (detected) return BINARY[detected.ext];
  if (!looksLikeText(head)) return undefined;
  const extension = fileName.toLowerCase().split('.').pop();
  const first = head.toString('utf8').trimStart()[0];
  if (extension === 'json' && (first === '{' || first === '[')) return 'application/json';
  if (extension === 'csv') return 'text/csv';
  return 'text/plain';
}

/** A file name safe to store and to send back in Content-Disposition: no path, no control characters. */
export function sanitiseFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._()\- ]+/gu, '_')
    .replace(/^\.+/, '')
    .slice(0, 200)
    .trim();
  return clean || 'evidence';
}
