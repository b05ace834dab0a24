import { randomUUID } from 'node:crypto';
import busboy from 'busboy';
import { create as contentDisposition } from 'content-disposition';
import express, { type Request, type Response, type Router } from 'express';
import {
  evidenceDecider,
  type EvidenceCommand,
  type EvidenceEvent,
  type EvidenceState,
} from '../../domain/evidence/evidence.js';
import { BlobTooLargeError, type BlobStore, type StagedBlob } from '../../infrastructure/blobs/blob-store.js';
import { authOf, requirePermission } from '../../infrastructure/http/authentication.js';
import { HttpProblem, invalidFields } from '../../infrastructure/http/problem.js';
import { isStorable, printableName, UNSTORABLE_MESSAGE } from '../../infrastructure/storable-text.js';
import { claimIdempotencyKey } from '../../infrastructure/http/idempotency.js';
import { commandContext } from '../clients/routes.js';
import { loadScoped, requireActiveClient } from '../http/scoped.js';
import type { Aggregate, CommandHandler } from '../http/command-handler.js';
import { ifMatchOf, sendCommandResult } from '../http/responses.js';
import { ALLOWED_TYPES, detectContentType, downloadAs, sanitiseFileName } from './content-type.js';

export const evidence: Aggregate<EvidenceCommand, EvidenceEvent, EvidenceState> = { decider: evidenceDecider };
export const evidenceStream = (tenantId: string, evidenceId: string): string => `${tenantId}/evidence/${evidenceId}`;

const FIELDS = ['clientId', 'title', 'validFrom', 'expiresAt'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
function readUpload(
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
      else if (!(FIELDS as readonly string[]).includes(name))
        failed ??= invalid(name, `unknown field: send only ${FIELDS.join(', ')} and the file`);
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

/** Mounted at /evidence. */
export function evidenceRoutes(handler: CommandHandler, blobs: BlobStore, options: { maxBytes: number }): Router {
  const router = express.Router();

  const visible = (req: Request, res: Response): Promise<EvidenceState> =>
    loadScoped(handler, evidence, evidenceStream(authOf(res).tenantId, String(req.params.id)), authOf(res), 'evidence');

  router.post('/upload', requirePermission('evidence:write'), async (req, res) => {
    const actor = authOf(res);
    const upload = await readUpload(req, blobs, options.maxBytes).catch((error: unknown) => {
      if (error instanceof BlobTooLargeError)
        throw new HttpProblem(413, 'payload-too-large', 'Payload too large', error.message, {
          errors: [{ field: 'file', message: error.message }],
        });
      throw error;
    });
    const { fields, file } = upload;
    try {
      if (!file) throw invalid('file', 'required');
      const missing = FIELDS.filter((name) => !fields[name]);
      if (missing.length > 0) {
        throw new HttpProblem(400, 'validation', 'The request is not valid', `Missing: ${missing.join(', ')}`, {
          errors: missing.map((field) => ({ field, message: 'required' })),
        });
      }
      if (!UUID.test(fields.clientId!)) throw invalid('clientId', 'must be a UUID');
      const dates = Object.fromEntries(
        (['validFrom', 'expiresAt'] as const).map((name) => {
          const date = new Date(fields[name]!);
          if (Number.isNaN(date.getTime())) throw invalid(name, 'must be an ISO 8601 date or time');
          return [name, date.toISOString()];
        }),
      ) as { validFrom: string; expiresAt: string };
      const fileName = sanitiseFileName(file.name);
      const contentType = await detectContentType(file.blob.head, fileName);
      if (!contentType) {
        throw new HttpProblem(
          415,
          'unsupported-file-type',
          'Unsupported file type',
          `Evidence must be one of: PDF, PNG, JPEG, text, CSV, JSON, DOCX, XLSX. The file's content is none of them.`,
          {
            errors: [{ field: 'file', message: 'content is not an allowed type' }],
          },
        );
      }
      // The upload's Idempotency-Key covers its fields and the file's digest, known only now that it is read.
      const material = {
        fields: Object.fromEntries(FIELDS.map((name) => [name, fields[name]])),
        fileName,
        sha256: file.blob.sha256,
        size: file.blob.size,
      };
      if (!(await claimIdempotencyKey(res, material))) {
        await file.blob.discard();
        return;
      }
      await requireActiveClient(handler, actor, fields.clientId!);

      // The blob first, then the event: a crash in between leaves an unreferenced blob, never an event without its file.
      await file.blob.commit();
      const evidenceId = randomUUID();
      const result = await handler.execute(
        evidence,
        evidenceStream(actor.tenantId, evidenceId),
        {
          type: 'UploadEvidence',
          evidenceId,
          clientId: fields.clientId!,
          title: fields.title!,
          ...dates,
          uploadedBy: actor.userId,
          fileName,
          contentType,
          sha256: file.blob.sha256,
          size: file.blob.size,
        },
        commandContext(req, res),
        { expect: 'new' },
      );
      res.setHeader('Location', `/api/v1/evidence/${evidenceId}`);
      sendCommandResult(res, 201, { evidenceId, sha256: file.blob.sha256, size: file.blob.size, contentType }, result);
    } catch (error) {
      await file?.blob.discard();
      throw error;
    }
  });

  router.post('/:id/map', requirePermission('evidence:write'), async (req, res) => {
    await visible(req, res);
    const result = await handler.execute(
      evidence,
      evidenceStream(authOf(res).tenantId, String(req.params.id)),
      { type: 'MapEvidence', requirementIds: (req.body as { requirementIds: string[] }).requirementIds },
      commandContext(req, res),
      { ifMatch: ifMatchOf(req) },
    );
    sendCommandResult(res, 200, { evidenceId: String(req.params.id) }, result);
  });

  router.delete('/:id', requirePermission('evidence:write'), async (req, res) => {
    await visible(req, res);
    const result = await handler.execute(
      evidence,
      evidenceStream(authOf(res).tenantId, String(req.params.id)),
      { type: 'RetireEvidence', retiredBy: authOf(res).userId },
      commandContext(req, res),
      {
        ifMatch: ifMatchOf(req),
      },
    );
    sendCommandResult(res, 200, { evidenceId: String(req.params.id), status: 'retired' }, result);
  });

  router.get('/:id/content', requirePermission('evidence:read'), async (req, res) => {
    const state = await visible(req, res);
    const file = state.file!;
    const served = downloadAs(file);
    const stream = await blobs.open(file.sha256);
    // Tenant-supplied bytes: always a download, never a page of ours (res.attachment would take the type from the name).
    res.setHeader('Content-Type', served.contentType);
    res.setHeader('Content-Disposition', contentDisposition(served.fileName));
    res.setHeader('Content-Length', String(file.size));
    res.setHeader('X-Content-SHA256', file.sha256);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    stream.pipe(res);
  });

  return router;
}

export { ALLOWED_TYPES };
