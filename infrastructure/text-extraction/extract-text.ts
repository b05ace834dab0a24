import type { Readable } from 'node:stream';

/** The content types whose text search indexes. Images and spreadsheets are found by title and file name only. */
export const TEXT_TYPES = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  plain: ['text/plain', 'text/csv', 'application/json'],
} as const;

export function hasText(contentType: string): boolean {
  return (
    contentType === TEXT_TYPES.pdf ||
    contentType === TEXT_TYPES.docx ||
    (TEXT_TYPES.plain as readonly string[]).includes(contentType)
  );
}

/** How much of a file is read and kept: search indexes the first 100,000 characters of a document. */
export interface ExtractLimits {
  maxChars: number;
  /** A PDF's pages read at most. */
  maxPages: number;
}

const DEFAULT_LIMITS: ExtractLimits = { maxChars: 100_000, maxPages: 300 };

/** The bytes of a stream. Evidence files are bounded by EVIDENCE_MAX_BYTES, which the upload has already enforced. */
async function bytesOf(source: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** A PDF's text, page by page, as a reader would copy it (Mozilla's pdf.js, without eval or a worker thread). */
async function pdfText(bytes: Buffer, limits: ExtractLimits): Promise<string> {
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const document = await getDocument({
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    useSystemFonts: false,
    disableFontFace: true,
    verbosity: 0,
  }).promise;
  try {
    const pages: string[] = [];
    let length = 0;
    for (let number = 1; number <= Math.min(document.numPages, limits.maxPages) && length < limits.maxChars; number++) {
      const content = await (await document.getPage(number)).getTextContent();
      const text = content.items
        .map((item) => ('str' in item ? `${item.str}${item.hasEOL ? '\n' : ' '}` : ''))
        .join('')
        .replace(/[ \t]+/g, ' ');
      pages.push(text);
      length += text.length;
    }
    return pages.join('\n');
  } finally {
    await document.destroy();
  }
}

/**
 * The text of an evidence file, for search (the parsers are loaded on first use, not at every start): PDF (pdf.js), DOCX (mammoth's raw text) and plain text, CSV and JSON
 * (UTF-8, as the upload checked). Undefined for other types. A file that cannot be read (a damaged or encrypted PDF)
 * throws; the caller indexes the evidence without its text.
 */
export async function extractText(
  source: Readable,
  contentType: string,
  limits: ExtractLimits = DEFAULT_LIMITS,
): Promise<string | undefined> {
  if (!hasText(contentType)) {
    source.resume();
    return undefined;
  }
  const bytes = await bytesOf(source);
  const text =
    contentType === TEXT_TYPES.pdf
      ? await pdfText(bytes, limits)
      : contentType === TEXT_TYPES.docx
        ? (await (await import('mammoth')).default.extractRawText({ buffer: bytes })).value
        : bytes.toString('utf8');
  return text.replaceAll('\u0000', '').slice(0, limits.maxChars);
}
