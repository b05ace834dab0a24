import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import {
  assessmentDecider,
  type AssessmentCommand,
  type AssessmentEvent,
  type AssessmentState,
} from '../../domain/assessments/assessment.js';
import { SCALES } from '../../domain/assessments/scales.js';
import { scoreAssessment, type Result } from '../../domain/assessments/scoring.js';
import { catalogAt, FRAMEWORKS, requirementList, type FrameworkId } from '../../domain/frameworks/index.js';
import { authOf, requirePermission } from '../../infrastructure/http/authentication.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { commandContext } from '../http/context.js';
import { loadScoped, requireActiveClient } from '../http/scoped.js';
import { evidenceStream } from '../../domain/evidence/evidence.js';
import { evidence } from '../evidence/operations.js';
import type { Aggregate, CommandHandler } from '../http/command-handler.js';
import { ifMatchOf, sendCommandResult } from '../http/responses.js';

const assessments: Aggregate<AssessmentCommand, AssessmentEvent, AssessmentState> = { decider: assessmentDecider };
export const assessmentStream = (tenantId: string, assessmentId: string): string =>
  `${tenantId}/assessment/${assessmentId}`;

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

/** Mounted at /assessments. */
export function assessmentRoutes(handler: CommandHandler, now: () => Date = () => new Date()): Router {
  const router = express.Router();

  const visible = (req: Request, res: Response): Promise<AssessmentState> =>
    loadScoped(
      handler,
      assessments,
      assessmentStream(authOf(res).tenantId, String(req.params.id)),
      authOf(res),
      'assessment',
    );

  router.post('/', requirePermission('assessment:write'), async (req, res) => {
    const actor = authOf(res);
    const { clientId, frameworkId, title } = req.body as { clientId: string; frameworkId: FrameworkId; title: string };
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
  });

  router.put('/:id/requirements/:requirementId', requirePermission('assessment:write'), async (req, res) => {
    const state = await visible(req, res);
    const requirementId = String(req.params.requirementId);
    const body = req.body as { result: Result; score?: number; note?: string; evidenceIds?: string[] };
    for (const evidenceId of body.evidenceIds ?? []) {
      const item = (await handler.load(evidence, evidenceStream(authOf(res).tenantId, evidenceId))).state;
      if (item.status === 'none' || item.clientId !== state.clientId) {
        throw new HttpProblem(
          422,
          'invalid-command',
          'The request cannot be carried out',
          `No evidence ${evidenceId} for this client.`,
          {
            errors: [{ field: 'evidenceIds', message: `no evidence ${evidenceId} for this client` }],
          },
        );
      }
    }
    const known = catalogRequirements(state.frameworkId!, state.catalogVersion!).some((r) => r.id === requirementId);
    const result = await handler.execute(
      assessments,
      assessmentStream(authOf(res).tenantId, String(req.params.id)),
      {
        type: 'AssessRequirement',
        requirementId,
        result: body.result,
        score: body.score ?? null,
        note: body.note ?? null,
        evidenceIds: body.evidenceIds ?? [],
        knownRequirement: known,
        scale: SCALES[state.frameworkId!],
      },
      commandContext(req, res),
      { ifMatch: ifMatchOf(req) },
    );
    sendCommandResult(res, 200, { assessmentId: String(req.params.id) }, result);
  });

  router.put('/:id/submit', requirePermission('assessment:write'), async (req, res) => {
    const state = await visible(req, res);
    const at = now().toISOString();
    // Evidence freshness at submission: retired evidence counts as expired.
    const linked = [...new Set(Object.values(state.answers).flatMap((answer) => answer.evidenceIds ?? []))];
    const evidenceExpiry: Record<string, string> = {};
    for (const evidenceId of linked) {
      const item = (await handler.load(evidence, evidenceStream(authOf(res).tenantId, evidenceId))).state;
      if (item.status === 'active' && item.expiresAt) evidenceExpiry[evidenceId] = item.expiresAt;
    }
    const score = scoreAssessment({
      requirements: catalogRequirements(state.frameworkId!, state.catalogVersion!),
      answers: state.answers,
      scale: SCALES[state.frameworkId!],
      evidenceExpiry,
      at,
    });
    const result = await handler.execute(
      assessments,
      assessmentStream(authOf(res).tenantId, String(req.params.id)),
      { type: 'SubmitAssessment', submittedBy: authOf(res).userId, submittedAt: at, score },
      commandContext(req, res),
      { ifMatch: ifMatchOf(req) },
    );
    sendCommandResult(
      res,
      200,
      { assessmentId: String(req.params.id), score: score.score, progress: score.progress, flagged: score.flagged },
      result,
    );
  });

  return router;
}
