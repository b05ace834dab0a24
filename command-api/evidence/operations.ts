import { randomUUID } from 'node:crypto';
import { create as contentDisposition } from 'content-disposition';
import type { Request, Response } from 'express';
import { z } from 'zod';
import {
  evidenceDecider,
  evidenceStream,
  type EvidenceCommand,
  type EvidenceEvent,
  type EvidenceState,
} from '../../domain/evidence/evidence.js';
import { evidenceFileClaimDecider, evidenceFileClaimStream } from '../../domain/evidence/file-claim.js';
import { clientDecider, clientStream } from '../../domain/clients/client.js';
import { DomainError } from '../../domain/decider.js';
import { FRAMEWORKS, requirementList, type FrameworkId } from '../../domain/frameworks/index.js';
import { WrongExpectedRevisionError, type EventStore } from '../../infrastructure/event-store/types.js';
import { BlobTooLargeError, type BlobStore } from '../../infrastructure/blobs/blob-store.js';
import type { Database } from '../../infrastructure/database/database.js';
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
import { keepEvidenceText } from './text.js';
import { readUpload, UPLOAD_FIELDS, uploadFields } from './upload.js';

/** Every requirement id of the catalogs of these frameworks, at the version this ledger ships. */
function catalogIdsOf(frameworks: readonly FrameworkId[]): Set<string> {
  return new Set(frameworks.flatMap((framework) => requirementList(FRAMEWORKS[framework]).map((r) => r.id)));
}

const EVIDENCE_EVENTS: ReadonlyArray<EvidenceEvent['type']> = [
  'EvidenceUploaded',
  'EvidenceMapped',
  'EvidenceUnmapped',
  'EvidenceRetired',
];

/**
 * A client's evidence as its streams say (the write side reads no read model): each item's state, by evidence id.
 * What submission scoring counts as the evidence mapped to each requirement.
 */
export async function clientEvidence(
  eventStore: EventStore,
  tenantId: string,
  clientId: string,
): Promise<Map<string, EvidenceState>> {
  const states = new Map<string, EvidenceState>();
  for await (const event of eventStore.readAll({ tenantId, types: EVIDENCE_EVENTS })) {
    const id = event.streamId.slice(event.streamId.lastIndexOf('/') + 1);
    states.set(
      id,
      evidenceDecider.evolve(states.get(id) ?? evidenceDecider.initialState(), event as unknown as EvidenceEvent),
    );
  }
  for (const [id, state] of states) if (state.clientId !== clientId) states.delete(id);
  return states;
}

export const evidence: Aggregate<EvidenceCommand, EvidenceEvent, EvidenceState> = { decider: evidenceDecider };

/** How long an upload waits for the evidence of a claim made by a racing upload of the same file to be recorded. */
const CLAIM_WAIT_MS = 30_000;
/** A claim whose evidence was never recorded this long after (its upload died in between) holds nothing. */
const CLAIM_ABANDONED_MS = 10 * 60_000;

const claims = { decider: evidenceFileClaimDecider };

/**
 * Claims a file for new evidence of a client, or finds the active evidence that holds it. The claim stream of the
 * tenant, client and SHA-256 is appended to at the revision read, so racing uploads serialise: one claims, the others
 * read again and find its holder (waiting for its evidence to be recorded, which follows the claim). A retired holder
 * (or a claim abandoned long ago) lets the upload claim the file again. Evidence recorded before claims existed has
 * no claim stream: it is looked for among the client's evidence.
 */
async function claimFile(
  handler: CommandHandler,
  eventStore: EventStore | undefined,
  req: Request,
  res: Response,
  file: { clientId: string; sha256: string; evidenceId: string },
): Promise<{ holder?: [string, EvidenceState] }> {
  const actor = authOf(res);
  const stream = evidenceFileClaimStream(actor.tenantId, file.clientId, file.sha256);
  const waitUntil = Date.now() + CLAIM_WAIT_MS;
  for (;;) {
    const { state: claim } = await handler.load(claims, stream);
    let retiredHolder: string | undefined;
    if (claim.holder) {
      const { state: held } = await handler.load(evidence, evidenceStream(actor.tenantId, claim.holder));
      if (held.status === 'active') return { holder: [claim.holder, held] };
      if (held.status === 'none') {
        // Claimed by an upload that is recording its evidence now, or one that died before it could.
        const claimedAt = (await handler.recorded(stream)).at(-1)!.metadata.recordedAt;
        if (Date.now() - new Date(claimedAt).getTime() < CLAIM_ABANDONED_MS) {
          if (Date.now() > waitUntil)
            throw new HttpProblem(
              409,
              'conflict',
              'Conflict',
              'The same file is being recorded as evidence of this client by another upload: send it again shortly.',
              { errors: [{ field: 'file', message: 'being recorded by another upload' }] },
            );
          await new Promise((resolve) => setTimeout(resolve, 25));
          continue;
        }
      }
      retiredHolder = claim.holder;
    } else if (eventStore) {
      const same = [...(await clientEvidence(eventStore, actor.tenantId, file.clientId))].find(
        ([, item]) => item.status === 'active' && item.file?.sha256 === file.sha256,
      );
      if (same) return { holder: same };
    }
    try {
      await handler.execute(
        claims,
        stream,
        { type: 'ClaimEvidenceFile', ...file, claimedBy: actor.userId, retiredHolder },
        commandContext(req, res),
      );
      return {};
    } catch (error) {
      // Another upload claimed it first: read again, and find its holder.
      if (error instanceof WrongExpectedRevisionError) continue;
      if (error instanceof DomainError && error.code === 'conflict') continue;
      throw error;
    }
  }
}

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
export function evidenceCommands(
  handler: CommandHandler,
  blobs: BlobStore,
  options: {
    maxBytes: number;
    /** Finds the same file uploaded before for the client. */
    eventStore?: EventStore;
    /** Where the text of each file is kept for search (evidence_texts); without it, files are not read. */
    database?: Database;
  },
) {
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
      description:
        "The same file (by SHA-256) uploaded again for a client whose evidence already holds it, active, records nothing: the answer is 200 with the existing evidence's id (and Location), `duplicate: true` and its title, validity and requirements, which stay as they are. A file whose earlier record was retired is stored as new evidence. Race-free: of uploads of one new file sent at once, one is stored (201) and the others answer 200 with its id.",
      answers: {
        201: {
          description: 'Stored',
          schema: commandAnswer(
            z.object({
              evidenceId: Id,
              sha256: z.string(),
              size: z.int(),
              contentType: z.string(),
              duplicate: z.literal(false),
            }),
          ),
        },
        200: {
          description: 'The client already has this file as evidence: nothing recorded, the existing evidence named',
          schema: commandAnswer(
            z.object({
              evidenceId: Id,
              sha256: z.string(),
              size: z.int(),
              contentType: z.string(),
              duplicate: z.literal(true),
              title: z.string(),
              validFrom: z.string(),
              expiresAt: z.string(),
              requirementIds: z.array(z.string()),
            }),
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

          const evidenceId = randomUUID();
          const command: EvidenceCommand = {
            type: 'UploadEvidence',
            evidenceId,
            ...checked,
            uploadedBy: actor.userId,
            fileName,
            contentType,
            sha256: file.blob.sha256,
            size: file.blob.size,
          };
          // Refuses what the upload itself gets wrong (its title, its validity) before looking for the same file.
          evidenceDecider.decide(command, evidenceDecider.initialState());

          // Blobs are content-addressed: the same file again for the same client is the evidence it already has.
          // Claimed first (one upload of racing ones wins the claim), so that no two records hold one file.
          const claim = await claimFile(handler, options.eventStore, req, res, {
            clientId: checked.clientId,
            sha256: file.blob.sha256,
            evidenceId,
          });
          if (claim.holder) {
            await file.blob.discard();
            const [existingId, item] = claim.holder;
            res.setHeader('Location', `/api/v1/evidence/${existingId}`);
            sendCommandResult(
              res,
              200,
              {
                evidenceId: existingId,
                sha256: item.file!.sha256,
                size: item.file!.size,
                contentType: item.file!.contentType,
                duplicate: true,
                title: item.title!,
                validFrom: item.validFrom!,
                expiresAt: item.expiresAt!,
                requirementIds: [...item.requirementIds].sort(),
              },
              { position: null },
            );
            return;
          }

          // The blob first, then the event: a crash in between leaves an unreferenced blob, never an event without its file.
          await file.blob.commit();
          // Its text for search, before the event that the search projection indexes it from.
          if (options.database)
            await keepEvidenceText(options.database, blobs, {
              tenantId: actor.tenantId,
              sha256: file.blob.sha256,
              contentType,
            });
          const result = await handler.execute(
            evidence,
            evidenceStream(actor.tenantId, evidenceId),
            command,
            commandContext(req, res),
            { expect: 'new' },
          );
          res.setHeader('Location', `/api/v1/evidence/${evidenceId}`);
          const data = { evidenceId, sha256: file.blob.sha256, size: file.blob.size, contentType, duplicate: false };
          sendCommandResult(res, 201, data, result);
        } catch (error) {
          await file?.blob.discard();
          throw error;
        }
      },
    }),
    ...(['map', 'unmap'] as const).map((action) =>
      operation({
        operationId: action === 'map' ? 'mapEvidence' : 'unmapEvidence',
        method: 'post',
        path: `/evidence/{id}/${action}`,
        tags: ['evidence'],
        summary:
          action === 'map'
            ? "Link evidence to requirements of the catalogs the client's frameworks pin (the one way evidence backs a requirement)"
            : 'Undo links of evidence to requirements (EvidenceUnmapped)',
        description:
          action === 'map'
            ? "Each id must be a requirement of a framework the client is held to, at the catalog version shipped (an unknown id is a 422 naming it). Assessments, the compliance report and the MSP summary count the evidence mapped to a requirement of the assessment's client, with any evidence its result names; GET /evidence?requirementId= lists a requirement's evidence."
            : 'Ids not linked are left alone; an id that is no requirement of the catalogs (and not linked) is a 422 naming it.',
        access: write,
        headers: ['Idempotency-Key', 'If-Match'],
        params: EvidencePath,
        body: z.strictObject({ requirementIds: z.array(z.string().min(1).max(64)).min(1).max(200) }),
        answers: {
          200: {
            description: action === 'map' ? 'Linked' : 'Unlinked',
            schema: commandAnswer(
              z.object({
                evidenceId: Id,
                requirementIds: z.array(z.string()).describe('Every requirement the evidence is linked to now'),
              }),
            ),
          },
          404: { description: 'No such evidence in your tenant', problem: true },
          410: { description: 'Retired', problem: true },
          412: { description: 'Stale If-Match', problem: true },
          422: { description: "A requirement id that is in none of the client's catalogs", problem: true },
        },
        async handler(req, res) {
          const evidenceId = req.params.id;
          const state = await visible(res, evidenceId);
          const client = await handler.load(
            { decider: clientDecider },
            clientStream(authOf(res).tenantId, state.clientId!),
          );
          const result = await handler.execute(
            evidence,
            evidenceStream(authOf(res).tenantId, evidenceId),
            {
              type: action === 'map' ? 'MapEvidence' : 'UnmapEvidence',
              requirementIds: req.body.requirementIds,
              catalog: catalogIdsOf(client.state.profile?.frameworks ?? []),
            },
            commandContext(req, res),
            { ifMatch: ifMatchOf(req) },
          );
          sendCommandResult(res, 200, { evidenceId, requirementIds: [...result.state.requirementIds].sort() }, result);
        },
      }),
    ),
    operation({
      operationId: 'retireEvidence',
      method: 'delete',
      path: '/evidence/{id}',
      tags: ['evidence'],
      summary: 'Retire evidence: the record stays, and it no longer counts as valid',
      access: write,
      headers: ['Idempotency-Key', 'If-Match'],
      params: EvidencePath,
      body: z
        .strictObject({
          reason: z
            .string()
            .max(2000)
            .optional()
            .describe('Why it is retired (recorded, shown on the evidence and in the audit log)'),
        })
        .optional(),
      answers: {
        200: {
          description: 'Retired (already retired: nothing recorded, the reason first given stands)',
          schema: commandAnswer(
            z.object({ evidenceId: Id, status: z.literal('retired'), reason: z.string().nullable() }),
          ),
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
          { type: 'RetireEvidence', retiredBy: actor.userId, reason: req.body?.reason },
          commandContext(req, res),
          { ifMatch: ifMatchOf(req) },
        );
        sendCommandResult(
          res,
          200,
          { evidenceId, status: 'retired', reason: result.state.retiredReason ?? null },
          result,
        );
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
