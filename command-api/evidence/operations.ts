import { randomUUID } from 'node:crypto';
import { create as contentDisposition } from 'content-disposition';
import type { Response } from 'express';
import { z } from 'zod';
import {
  evidenceDecider,
  evidenceStream,
  type EvidenceCommand,
  type EvidenceEvent,
  type EvidenceState,
} from '../../domain/evidence/evidence.js';
import { BlobTooLargeError, type BlobStore } from '../../infrastructure/blobs/blob-store.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { commandAnswer, Id, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import { claimIdempotencyKey } from '../../infrastructure/http/idempotency.js';
import { HttpProblem, invalidFields } from '../../infrastructure/http/problem.js';
import type { Aggregate, CommandHandler } from '../http/command-handler.js';
import { commandContext } from '../http/context.js';
import { ifMatchOf, sendCommandResult } from '../http/responses.js';
import { loadScoped, requireActiveClient } from '../http/scoped.js';
import { detectContentType, downloadAs, sanitiseFileName } from './content-type.js';
import { readUpload, UPLOAD_FIELDS, uploadFields } from './upload.js';

export const evidence: Aggregate<EvidenceCommand, EvidenceEvent, EvidenceState> = { decider: evidenceDecider };

const write = { permission: 'evidence:write' } as const;
const EvidencePath = z.object({ id: Id });

/**
 * The upload's form as the document shows it. Every part is required, but the route checks them itself while it
 * streams the file: the validator, which does not parse multipart here, sees no fields and is not told to.
 */
const UploadForm = z
  .object({
    file: z.string().meta({ format: 'binary' }),
    clientId: Id,
    title: z.string().min(1).max(200),
    validFrom: Timestamp,
    expiresAt: Timestamp,
  })
  .partial()
  .describe('All five parts are required; send the fields before the file.');

/** Evidence files: upload (streamed), link to requirements, retire, download. */
export function evidenceCommands(handler: CommandHandler, blobs: BlobStore, options: { maxBytes: number }) {
  /** The evidence as the caller may see it: another tenant's, or another client's, is not found. */
  const visible = (res: Response, evidenceId: string): Promise<EvidenceState> =>
    loadScoped(handler, evidence, evidenceStream(authOf(res).tenantId, evidenceId), authOf(res), 'evidence');

  return [
    operation({
      operationId: 'uploadEvidence',
      method: 'post',
      path: '/evidence/upload',
      tags: ['evidence'],
      summary:
        'Upload a file as evidence (streamed; PDF, PNG, JPEG, text, CSV, JSON, DOCX or XLSX, checked by content)',
      access: write,
      // The key is claimed by the handler once it has read the fields and the file's digest (claimIdempotencyKey).
      headers: ['Idempotency-Key'],
      multipart: true,
      body: UploadForm,
      answers: {
        201: {
          description: 'Stored',
          schema: commandAnswer(
            z.object({ evidenceId: Id, sha256: z.string(), size: z.int(), contentType: z.string() }),
          ),
        },
        404: { description: 'No such active client in your tenant', problem: true },
        413: { description: 'The file is larger than EVIDENCE_MAX_BYTES', problem: true },
        415: { description: 'The file is not of an allowed type', problem: true },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const { fields, file } = await readUpload(req, blobs, options.maxBytes).catch((error: unknown) => {
          if (error instanceof BlobTooLargeError)
            throw new HttpProblem(413, 'payload-too-large', 'Payload too large', error.message, {
              errors: [{ field: 'file', message: error.message }],
            });
          throw error;
        });
        try {
          if (!file) throw invalidFields([{ field: 'file', message: 'required' }]);
          const checked = uploadFields(fields);
          const fileName = sanitiseFileName(file.name);
          const contentType = await detectContentType(file.blob.head, fileName);
          if (!contentType) {
            throw new HttpProblem(
              415,
              'unsupported-file-type',
              'Unsupported file type',
              `Evidence must be one of: PDF, PNG, JPEG, text, CSV, JSON, DOCX, XLSX. The file's content is none of them.`,
              { errors: [{ field: 'file', message: 'content is not an allowed type' }] },
            );
          }
          // The upload's Idempotency-Key covers its fields and the file's digest, known only now that it is read.
          const material = {
            fields: Object.fromEntries(UPLOAD_FIELDS.map((name) => [name, fields[name]])),
            fileName,
            sha256: file.blob.sha256,
            size: file.blob.size,
          };
          if (!(await claimIdempotencyKey(res, material))) {
            await file.blob.discard();
            return;
          }
          await requireActiveClient(handler, actor, checked.clientId);

          // The blob first, then the event: a crash in between leaves an unreferenced blob, never an event without its file.
          await file.blob.commit();
          const evidenceId = randomUUID();
          const result = await handler.execute(
            evidence,
            evidenceStream(actor.tenantId, evidenceId),
            {
              type: 'UploadEvidence',
              evidenceId,
              ...checked,
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
          const data = { evidenceId, sha256: file.blob.sha256, size: file.blob.size, contentType };
          sendCommandResult(res, 201, data, result);
        } catch (error) {
          await file?.blob.discard();
          throw error;
        }
      },
    }),
    operation({
      operationId: 'mapEvidence',
      method: 'post',
      path: '/evidence/{id}/map',
      tags: ['evidence'],
      summary: 'Link evidence to requirement ids',
      access: write,
      headers: ['Idempotency-Key', 'If-Match'],
      params: EvidencePath,
      body: z.strictObject({ requirementIds: z.array(z.string().min(1).max(64)).min(1).max(200) }),
      answers: {
        200: { description: 'Linked', schema: commandAnswer(z.object({ evidenceId: Id })) },
        404: { description: 'No such evidence in your tenant', problem: true },
        410: { description: 'Retired', problem: true },
        412: { description: 'Stale If-Match', problem: true },
      },
      async handler(req, res) {
        const evidenceId = req.params.id;
        await visible(res, evidenceId);
        const result = await handler.execute(
          evidence,
          evidenceStream(authOf(res).tenantId, evidenceId),
          { type: 'MapEvidence', requirementIds: req.body.requirementIds },
          commandContext(req, res),
          { ifMatch: ifMatchOf(req) },
        );
        sendCommandResult(res, 200, { evidenceId }, result);
      },
    }),
    operation({
      operationId: 'retireEvidence',
      method: 'delete',
      path: '/evidence/{id}',
      tags: ['evidence'],
      summary: 'Retire evidence: the record stays, and it no longer counts as valid',
      access: write,
      headers: ['Idempotency-Key', 'If-Match'],
      params: EvidencePath,
      answers: {
        200: {
          description: 'Retired',
          schema: commandAnswer(z.object({ evidenceId: Id, status: z.literal('retired') })),
        },
        404: { description: 'No such evidence in your tenant', problem: true },
        412: { description: 'Stale If-Match', problem: true },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const evidenceId = req.params.id;
        await visible(res, evidenceId);
        const result = await handler.execute(
          evidence,
          evidenceStream(actor.tenantId, evidenceId),
          { type: 'RetireEvidence', retiredBy: actor.userId },
          commandContext(req, res),
          { ifMatch: ifMatchOf(req) },
        );
        sendCommandResult(res, 200, { evidenceId, status: 'retired' }, result);
      },
    }),
    operation({
      operationId: 'downloadEvidence',
      method: 'get',
      path: '/evidence/{id}/content',
      tags: ['evidence'],
      summary: 'Download the evidence file',
      access: { permission: 'evidence:read' },
      params: EvidencePath,
      answers: {
        200: {
          description:
            "The file, as an attachment with the content type checked at upload (application/octet-stream for any other), X-Content-Type-Options: nosniff and Content-Security-Policy: default-src 'none'; sandbox",
          files: { '*/*': null },
          headers: { 'X-Content-SHA256': { description: "The file's SHA-256, as it was checked at upload" } },
        },
        404: { description: 'No such evidence in your tenant', problem: true },
      },
      async handler(req, res) {
        const file = (await visible(res, req.params.id)).file!;
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
      },
    }),
  ];
}
