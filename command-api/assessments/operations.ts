import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { z } from 'zod';
import {
  assessmentDecider,
  assessmentStream,
  type AssessmentCommand,
  type AssessmentEvent,
  type AssessmentState,
} from '../../domain/assessments/assessment.js';
import { SCALES } from '../../domain/assessments/scales.js';
import { RESULTS, scoreAssessment, submissionWarnings } from '../../domain/assessments/scoring.js';
import {
  catalogAt,
  FRAMEWORK_IDS,
  FRAMEWORKS,
  requirementList,
  type FrameworkId,
} from '../../domain/frameworks/index.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { commandAnswer, Id } from '../../infrastructure/http/contract/schemas.js';
import { CoverageSchema, SubmissionWarningSchema } from '../../projections/read-models/assessments.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { evidenceStream } from '../../domain/evidence/evidence.js';
import type { EventStore } from '../../infrastructure/event-store/types.js';
import { clientEvidence, evidence } from '../evidence/operations.js';
import type { Aggregate, CommandHandler } from '../http/command-handler.js';
import { commandContext } from '../http/context.js';
import { ifMatchOf, sendCommandResult } from '../http/responses.js';
import { loadScoped, requireActiveClient } from '../http/scoped.js';

const assessments: Aggregate<AssessmentCommand, AssessmentEvent, AssessmentState> = { decider: assessmentDecider };
const write = { permission: 'assessment:write' } as const;
const AssessmentPath = z.object({ id: Id });
const problems = {
  404: { description: 'No such assessment in your tenant', problem: true },
  412: { description: 'Stale If-Match', problem: true },
  422: {
    description: 'The command cannot be carried out, or the Idempotency-Key was used for another request',
    problem: true,
  },
} as const;

/** Requirement ids of a framework at a catalog version; only the current version of each catalog ships today. */
function catalogRequirements(frameworkId: FrameworkId, version: string): ReadonlyArray<{ id: string }> {
  const catalog = catalogAt(frameworkId, version);
  if (!catalog) {
    throw new HttpProblem(
      409,
      'catalog-version-unavailable',
      'Catalog version unavailable',
      `This ledger has ${frameworkId} ${FRAMEWORKS[frameworkId].version}, not ${version}.`,
    );
  }
  return requirementList(catalog);
}

/** The assessment as the caller may see it: another tenant's or another client's is "not found". */
const visible = (handler: CommandHandler, res: Response, assessmentId: string): Promise<AssessmentState> =>
  loadScoped(handler, assessments, assessmentStream(authOf(res).tenantId, assessmentId), authOf(res), 'assessment');

/** Start an assessment, record requirement results, submit it for a score. */
/** With `eventStore`, submission also counts the evidence of the client mapped to each requirement (POST /evidence/{id}/map). */
export function assessmentCommands(handler: CommandHandler, eventStore?: EventStore) {
  return [
    operation({
      operationId: 'startAssessment',
      method: 'post',
      path: '/assessments',
      tags: ['assessments'],
      summary: "Start an assessment of a client against a framework; pins the framework's catalog version",
      access: write,
      headers: ['Idempotency-Key'],
      body: z.strictObject({ clientId: Id, frameworkId: z.enum(FRAMEWORK_IDS), title: z.string().min(1).max(200) }),
      answers: {
        201: { description: 'Started', schema: commandAnswer(z.object({ assessmentId: Id })) },
        404: { description: 'No such active client', problem: true },
        422: problems[422],
      },
      async handler(req, res) {
        const actor = authOf(res);
        const { clientId, frameworkId, title } = req.body;
        await requireActiveClient(handler, actor, clientId);
        const assessmentId = randomUUID();
        const result = await handler.execute(
          assessments,
          assessmentStream(actor.tenantId, assessmentId),
          {
            type: 'StartAssessment',
            assessmentId,
            clientId,
            frameworkId,
            catalogVersion: FRAMEWORKS[frameworkId].version,
            title,
          },
          commandContext(req, res),
          { expect: 'new' },
        );
        res.setHeader('Location', `/api/v1/assessments/${assessmentId}`);
        sendCommandResult(res, 201, { assessmentId }, result);
      },
    }),
    operation({
      operationId: 'assessRequirement',
      method: 'put',
      path: '/assessments/{id}/requirements/{requirementId}',
      tags: ['assessments'],
      summary: "Record a requirement's result, an optional score on the framework's scale, a note and linked evidence",
      access: write,
      headers: ['Idempotency-Key', 'If-Match'],
      params: AssessmentPath.extend({ requirementId: z.string().max(64) }),
      body: z.strictObject({
        result: z.enum(RESULTS),
        score: z.number().optional(),
        note: z.string().max(5000).optional(),
        evidenceIds: z.array(Id).max(50).optional(),
      }),
      answers: {
        200: { description: 'Recorded', schema: commandAnswer(z.object({ assessmentId: Id })) },
        ...problems,
        409: { description: 'The assessment was submitted', problem: true },
      },
      async handler(req, res) {
        const { id: assessmentId, requirementId } = req.params;
        const state = await visible(handler, res, assessmentId);
        const { result, score, note, evidenceIds = [] } = req.body;
        for (const evidenceId of evidenceIds) {
          const item = (await handler.load(evidence, evidenceStream(authOf(res).tenantId, evidenceId))).state;
          if (item.status === 'none' || item.clientId !== state.clientId) {
            throw new HttpProblem(
              422,
              'invalid-command',
              'The request cannot be carried out',
              `No evidence ${evidenceId} for this client.`,
              { errors: [{ field: 'evidenceIds', message: `no evidence ${evidenceId} for this client` }] },
            );
          }
        }
        const known = catalogRequirements(state.frameworkId!, state.catalogVersion!).some(
          (r) => r.id === requirementId,
        );
        const recorded = await handler.execute(
          assessments,
          assessmentStream(authOf(res).tenantId, assessmentId),
          {
            type: 'AssessRequirement',
            requirementId,
            result,
            score: score ?? null,
            note: note ?? null,
            evidenceIds,
            knownRequirement: known,
            scale: SCALES[state.frameworkId!],
          },
          commandContext(req, res),
          { ifMatch: ifMatchOf(req) },
        );
        sendCommandResult(res, 200, { assessmentId }, recorded);
      },
    }),
    operation({
      operationId: 'submitAssessment',
      method: 'post',
      path: '/assessments/{id}/submit',
      tags: ['assessments'],
      summary: 'Freeze the assessment and compute its compliance score, progress and coverage',
      description:
        'Coverage below 80% of the catalog does not stop the submission, but its answer and its event carry a `low-coverage` warning.',
      access: write,
      headers: ['Idempotency-Key', 'If-Match'],
      params: AssessmentPath,
      body: z.strictObject({}).optional(),
      answers: {
        200: {
          description: 'Submitted',
          schema: commandAnswer(
            z.object({
              assessmentId: Id,
              score: z.number().nullable(),
              progress: z.number(),
              coverage: CoverageSchema,
              flagged: z.array(z.string()).optional(),
              warnings: z.array(SubmissionWarningSchema),
            }),
          ),
        },
        ...problems,
        409: { description: 'Already submitted, or its catalog version is not shipped any more', problem: true },
      },
      async handler(req, res) {
        const assessmentId = req.params.id;
        const state = await visible(handler, res, assessmentId);
        const at = new Date().toISOString();
        // Evidence in force at submission: active and not expired (retired evidence, withdrawn, backs nothing).
        const evidenceExpiry: Record<string, string> = {};
        const answers = { ...state.answers };
        if (eventStore) {
          // A requirement's evidence: what its result names and the client's evidence mapped to it.
          const mapped = await clientEvidence(eventStore, authOf(res).tenantId, state.clientId!);
          for (const [requirementId, answer] of Object.entries(answers)) {
            const extra = [...mapped]
              .filter(([, item]) => item.requirementIds.includes(requirementId))
              .map(([id]) => id);
            if (extra.length > 0)
              answers[requirementId] = {
                ...answer,
                evidenceIds: [...new Set([...(answer.evidenceIds ?? []), ...extra])],
              };
          }
          for (const [id, item] of mapped)
            if (item.status === 'active' && item.expiresAt) evidenceExpiry[id] = item.expiresAt;
        }
        const linked = [...new Set(Object.values(answers).flatMap((answer) => answer.evidenceIds ?? []))].filter(
          (id) => !(id in evidenceExpiry),
        );
        for (const evidenceId of linked) {
          const item = (await handler.load(evidence, evidenceStream(authOf(res).tenantId, evidenceId))).state;
          if (item.status === 'active' && item.expiresAt) evidenceExpiry[evidenceId] = item.expiresAt;
        }
        const score = scoreAssessment({
          requirements: catalogRequirements(state.frameworkId!, state.catalogVersion!),
          answers,
          scale: SCALES[state.frameworkId!],
          evidenceExpiry,
          at,
        });
        const result = await handler.execute(
          assessments,
          assessmentStream(authOf(res).tenantId, assessmentId),
          { type: 'SubmitAssessment', submittedBy: authOf(res).userId, submittedAt: at, score },
          commandContext(req, res),
          { ifMatch: ifMatchOf(req) },
        );
        sendCommandResult(
          res,
          200,
          {
            assessmentId,
            score: score.score,
            progress: score.progress,
            coverage: score.coverage,
            flagged: score.flagged,
            warnings: submissionWarnings(score),
          },
          result,
        );
      },
    }),
  ];
}
