import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { userDecider, userStream } from '../../domain/accounts/user.js';
import {
  VIOLATION_STATUSES,
  violationDecider,
  violationStream,
  type RaisedViolation,
  type ViolationCommand,
} from '../../domain/violations/workflow.js';
import type { Database } from '../../infrastructure/database/database.js';
import { readCheckpoint } from '../../infrastructure/checkpoints/checkpoints.js';
import { comparePositions, START, type Position } from '../../infrastructure/event-store/position.js';
import type { EventStore } from '../../infrastructure/event-store/types.js';
import { authOf, type Authenticated } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { commandAnswer, Id } from '../../infrastructure/http/contract/schemas.js';
import { notFound } from '../../infrastructure/http/problem.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import { checkpointName, eventTypesOf } from '../../projections/projection.js';
import type { ReadModels } from '../../projections/read-models/tables.js';
import { violationsProjection } from '../../projections/read-models/violations.js';
import type { CommandHandler, CommandResult } from '../http/command-handler.js';
import { commandContext } from '../http/context.js';
import { etagOf } from '../../infrastructure/http/contract/etag.js';
import { ifMatchOf, sendCommandResult } from '../http/responses.js';
import type { Kysely } from 'kysely';

const violations = { decider: violationDecider };
const write = { permission: 'violation:write' } as const;
const Note = z.string().max(4000);

const WorkflowAnswer = commandAnswer(
  z.object({ violationId: Id, status: z.enum(VIOLATION_STATUSES), assigneeId: z.string().nullable() }),
);

const answers = {
  200: { description: 'Done: the violation as it now stands', schema: WorkflowAnswer },
  404: { description: 'No such violation in your tenant (or of your client)', problem: true },
  409: { description: 'Not in this state: the problem names the state the violation is in', problem: true },
} as const;

/**
 * How a workflow command runs: on the violation's workflow stream, under If-Match. The stream begins with the first
 * step, so a violation no one has acted on is at ETag "0" (as its GET answers): If-Match: "0" takes the first step.
 */
const workflowOptions = (req: Request) => ({ ifMatch: ifMatchOf(req), existsUnwritten: true });

/** The answer of a workflow command, with the ETag its GET gives ("0" while nothing was recorded for it). */
function sendWorkflowResult(res: Response, status: number, data: unknown, result: CommandResult<unknown, unknown>) {
  if (result.revision < 0) res.setHeader('ETag', etagOf(-1));
  sendCommandResult(res, status, data, result);
}

export interface ViolationCommandDeps {
  database: Database;
  eventStore: EventStore;
  /** How long to wait for a violation just raised to reach its read model. */
  waitMs: number;
}

/**
 * The violation as raised, from its read model (the one place that knows which stream raised a violation id), as
 * the caller may see it. A violation raised a moment ago may not be projected yet: until the projection has caught
 * up with the log as it stood, it is looked for again, then it is a 404 like any other tenant's or client's.
 */
async function raisedViolation(
  deps: ViolationCommandDeps,
  res: Response,
  actor: Authenticated,
  violationId: string,
): Promise<RaisedViolation> {
  const db = deps.database.db as Kysely<ReadModels>;
  const head = await deps.eventStore.headPosition();
  const deadline = Date.now() + deps.waitMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const row = await asTenant(db, actor, (trx) =>
      trx
        .selectFrom('violations')
        .select(['violation_id', 'client_id', 'kind', 'severity'])
        .where('violation_id', '=', violationId)
        .executeTakeFirst(),
    );
    if (row && (actor.clientId === null || row.client_id === actor.clientId)) {
      // A refused step is part of the violation's client's history (command-api/http/refusals.ts).
      res.locals.targetClientId = row.client_id;
      return { violationId: row.violation_id, clientId: row.client_id, kind: row.kind, severity: row.severity };
    }
    if (row) break;
    if (!(await projecting(deps, head)) || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  throw notFound('violation');
}

/** Whether the violations projection has yet to apply an event of its own written up to `head`. */
async function projecting(deps: ViolationCommandDeps, head: Position): Promise<boolean> {
  const checkpoint = (await readCheckpoint(deps.database.db, checkpointName(violationsProjection))) ?? START;
  if (comparePositions(checkpoint, head) >= 0) return false;
  for await (const next of deps.eventStore.readAll({
    from: checkpoint,
    types: eventTypesOf([violationsProjection]),
    maxCount: 1,
  }))
    return comparePositions(next.position, head) <= 0;
  return false;
}

/** Acknowledge, assign, resolve, reopen and comment on a violation: its workflow stream. */
export function violationCommands(handler: CommandHandler, deps: ViolationCommandDeps) {
  async function run(
    req: Request,
    res: Response,
    command: (raised: RaisedViolation, actor: Authenticated) => Promise<ViolationCommand> | ViolationCommand,
  ) {
    const actor = authOf(res);
    const violationId = String(req.params.id);
    const raised = await raisedViolation(deps, res, actor, violationId);
    const result = await handler.execute(
      violations,
      violationStream(actor.tenantId, violationId),
      await command(raised, actor),
      commandContext(req, res),
      workflowOptions(req),
    );
    const status = result.state.status === 'none' ? 'open' : result.state.status;
    sendWorkflowResult(res, 200, { violationId, status, assigneeId: result.state.assigneeId }, result);
    return result;
  }

  const step = (
    action: 'acknowledge' | 'resolve' | 'reopen',
    summary: string,
    body: z.ZodType<{ note?: string } | undefined>,
    type: 'AcknowledgeViolation' | 'ResolveViolation' | 'ReopenViolation',
  ) =>
    operation({
      operationId: `${action}Violation`,
      method: 'post',
      path: `/violations/{id}/${action}`,
      tags: ['violations'],
      summary,
      access: write,
      headers: ['If-Match', 'Idempotency-Key'],
      params: z.object({ id: Id }),
      body,
      answers,
      async handler(req, res) {
        await run(req, res, (raised) => ({ type, raised, note: req.body?.note ?? '' }) as ViolationCommand);
      },
    });

  return [
    step(
      'acknowledge',
      'Acknowledge an open violation: someone is looking at it',
      z.strictObject({ note: Note.optional() }).optional(),
      'AcknowledgeViolation',
    ),
    operation({
      operationId: 'assignViolation',
      method: 'post',
      path: '/violations/{id}/assign',
      tags: ['violations'],
      summary: 'Assign a violation that is not resolved to an active user of the tenant who may see its client',
      access: write,
      headers: ['If-Match', 'Idempotency-Key'],
      params: z.object({ id: Id }),
      body: z.strictObject({ assigneeId: Id, note: Note.optional() }),
      answers: { ...answers, 422: { description: 'The assignee may not take it (named in errors)', problem: true } },
      async handler(req, res) {
        await run(req, res, async (raised, actor) => {
          const { state } = await handler.load(
            { decider: userDecider },
            userStream(actor.tenantId, req.body.assigneeId),
          );
          return {
            type: 'AssignViolation',
            raised,
            note: req.body.note,
            assignee: {
              userId: req.body.assigneeId,
              exists: state.exists,
              active: state.exists && state.active,
              role: state.role ?? null,
              clientId: state.clientId ?? null,
            },
          };
        });
      },
    }),
    step(
      'resolve',
      'Resolve a violation, saying how (note)',
      z.strictObject({ note: Note.min(1).describe('How it was resolved: kept with the violation') }),
      'ResolveViolation',
    ),
    step(
      'reopen',
      'Reopen a resolved violation: it is open again',
      z.strictObject({ note: Note.optional() }).optional(),
      'ReopenViolation',
    ),
    operation({
      operationId: 'commentOnViolation',
      method: 'post',
      path: '/violations/{id}/comments',
      tags: ['violations'],
      summary: 'Comment on a violation, in whatever state it is',
      access: write,
      headers: ['If-Match', 'Idempotency-Key'],
      params: z.object({ id: Id }),
      body: z.strictObject({ text: Note.min(1) }),
      answers: {
        ...answers,
        201: {
          description: 'Commented',
          schema: commandAnswer(
            z.object({
              violationId: Id,
              commentId: Id,
              status: z.enum(VIOLATION_STATUSES),
              assigneeId: z.string().nullable(),
            }),
          ),
        },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const violationId = req.params.id;
        const raised = await raisedViolation(deps, res, actor, violationId);
        const commentId = randomUUID();
        const result = await handler.execute(
          violations,
          violationStream(actor.tenantId, violationId),
          { type: 'CommentOnViolation', raised, commentId, text: req.body.text },
          commandContext(req, res),
          workflowOptions(req),
        );
        const status = result.state.status === 'none' ? 'open' : result.state.status;
        sendWorkflowResult(res, 201, { violationId, commentId, status, assigneeId: result.state.assigneeId }, result);
      },
    }),
  ];
}
