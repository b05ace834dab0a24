import busboy from 'busboy';
import type { Request } from 'express';
import { BlobTooLargeError, type BlobStore, type StagedBlob } from '../../infrastructure/blobs/blob-store.js';
import { Id } from '../../infrastructure/http/contract/schemas.js';
import { HttpProblem, invalidFields } from '../../infrastructure/http/problem.js';
import { isStorable, printableName, UNSTORABLE_MESSAGE } from '../../infrastructure/storable-text.js';

const invalid = (field: string, message: string) => invalidFields([{ field, message }]);

const malformedUpload = (error: Error) =>
  error instanceof HttpProblem
    ? error
    : new HttpProblem(
        400,
        'malformed-upload',
        'Malformed upload',
        `The multipart body cannot be read: ${error.message}.`,
        {
          errors: [{ field: '(body)', message: 'not well-formed multipart/form-data' }],
        },
      );

/**
 * Reads a multipart upload: the form fields, and the file streamed straight into the blob store's staging area
 * (hashed and measured on the way, never buffered whole). Nothing is committed here.
 */
export function readUpload(
  req: Request,
  blobs: BlobStore,
  maxBytes: number,
): Promise<{ fields: Record<string, string>; file?: { name: string; blob: StagedBlob } }> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: 1, fields: 10, fieldSize: 10_000, parts: 12, fileSize: maxBytes },
        // File names as browsers and curl send them: UTF-8 (busboy's default is latin1, which garbles "Prüfbericht").
        defParamCharset: 'utf8',
      });
    } catch {
      return reject(
        new HttpProblem(
          415,
          'unsupported-media-type',
          'Unsupported media type',
          'Send multipart/form-data with a file and the evidence fields.',
        ),
      );
    }
    const fields: Record<string, string> = {};
    let staged: Promise<{ name: string; blob: StagedBlob } | undefined> = Promise.resolve(undefined);
    let fileStream: (NodeJS.ReadableStream & { truncated?: boolean; destroy(error?: Error): void }) | undefined;
    let failed: unknown;
    let finished = false;
    parser.on('field', (name, value) => {
      // Fields are decoded by busboy, in the charset each part declares: checked here, as JSON bodies are on the way in.
      if (!isStorable(name) || !isStorable(value)) failed ??= invalid(printableName(name), UNSTORABLE_MESSAGE);
      else if (!(UPLOAD_FIELDS as readonly string[]).includes(name))
        failed ??= invalid(name, `unknown field: send only ${UPLOAD_FIELDS.join(', ')} and the file`);
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file') {
        stream.resume();
        failed ??= invalid(printableName(name), 'unexpected file field; send the file as "file"');
        return;
      }
      fileStream = stream;
      // Listened to at once: a body that ends mid-file fails this stream before the store has begun to read it, and
      // an 'error' nobody listens to would end the process (every tenant's ledger).
      stream.on('error', (error: Error) => (failed ??= malformedUpload(error)));
      // busboy stops at the size limit and marks the stream truncated; the store's own limit is a second guard.
      staged = blobs.stage(stream, { maxBytes: maxBytes + 1 }).then(
        (blob) => {
          if (stream.truncated) {
            failed ??= new BlobTooLargeError(`The file is larger than ${maxBytes} bytes`);
            return blob.discard().then(() => undefined);
          }
          return { name: info.filename ?? 'evidence', blob };
        },
        (error: unknown) => {
          failed ??= error;
          return undefined;
        },
      );
    });
    parser.on('filesLimit', () => (failed ??= invalid('file', 'send one file')));
    const finish = async (error?: unknown): Promise<void> => {
      if (finished) return;
      finished = true;
      const file = await staged;
      const problem = error ?? failed;
      if (problem) {
        await file?.blob.discard();
        return reject(problem);
      }
      resolve({ fields, file });
    };
    parser.on('close', () => void finish());
    // A body that is not well-formed multipart is the sender's fault: say so, never a 500.
    parser.on('error', (error: Error) => void finish(malformedUpload(error)));
    // A client that goes away mid-upload: end the file stream, so that what was staged is removed.
    req.on('close', () => {
      if (req.complete) return;
      const aborted = new HttpProblem(400, 'upload-aborted', 'Upload aborted', 'The upload was cut off.');
      fileStream?.destroy(aborted);
      void finish(aborted);
    });
    req.pipe(parser);
  });
}

/** The form fields an upload must carry, all of them: checked here, since the document cannot require them. */
export const UPLOAD_FIELDS = ['clientId', 'title', 'validFrom', 'expiresAt'] as const;

/** The upload's fields, checked: every one present, the client an id, the dates readable (as ISO 8601 times). */
export function uploadFields(fields: Record<string, string>) {
  const missing = UPLOAD_FIELDS.filter((name) => !fields[name]);
  if (missing.length > 0) {
    throw new HttpProblem(400, 'validation', 'The request is not valid', `Missing: ${missing.join(', ')}`, {
      errors: missing.map((field) => ({ field, message: 'required' })),
    });
  }
  const { clientId, title, validFrom, expiresAt } = fields as Record<(typeof UPLOAD_FIELDS)[number], string>;
  if (!Id.safeParse(clientId).success) throw invalid('clientId', 'must be a UUID');
  const time = (name: 'validFrom' | 'expiresAt', text: string): string => {
    const date = new Date(text);
    if (Number.isNaN(date.getTime())) throw invalid(name, 'must be an ISO 8601 date or time');
    return date.toISOString();
  };
  return { clientId, title, validFrom: time('validFrom', validFrom), expiresAt: time('expiresAt', expiresAt) };
}
