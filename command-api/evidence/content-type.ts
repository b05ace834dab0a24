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

/** The extensions a saved file of each type may have; the first is added to a name that has none of them. */
const EXTENSIONS: Record<string, readonly string[]> = {
  'application/pdf': ['pdf'],
  'image/png': ['png'],
  'image/jpeg': ['jpg', 'jpeg'],
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': ['docx'],
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': ['xlsx'],
  'text/plain': ['txt', 'text', 'md', 'log'],
  'text/csv': ['csv'],
  'application/json': ['json'],
  'application/octet-stream': ['bin'],
};

/**
 * How a stored file goes back out: the type its bytes were checked as at upload (octet-stream for anything else), and
 * a name that ends in that type's extension, so that text uploaded as note.html is not a page once saved to disk.
 */
export function downloadAs(file: { fileName: string; contentType: string }): { contentType: string; fileName: string } {
  const type = ALLOWED_TYPES.includes(file.contentType) ? file.contentType : 'application/octet-stream';
  const extensions = EXTENSIONS[type]!;
  const name = sanitiseFileName(file.fileName);
  const extension = name.includes('.') ? name.toLowerCase().split('.').pop()! : '';
  return {
    // Text was checked to be UTF-8: saying so leaves a browser nothing to guess.
    contentType: type.startsWith('text/') ? `${type}; charset=utf-8` : type,
    fileName: extensions.includes(extension) ? name : `${name}.${extensions[0]}`,
  };
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
