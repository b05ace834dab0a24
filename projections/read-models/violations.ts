import type { Selectable, Transaction } from 'kysely';
import { sql } from 'kysely';
import { z } from 'zod';
import { SEVERITIES, VIOLATION_KINDS } from '../../domain/prompt-analysis/usage-policy.js';
import type { ViolationEvent, ViolationRecordedData } from '../../domain/violations/violation.js';
import {
  VIOLATION_STATUSES,
  VIOLATION_WORKFLOW_EVENT_TYPES,
  type ViolationStatus,
  type ViolationWorkflowEvent,
  type ViolationWorkflowEventType,
} from '../../domain/violations/workflow.js';
import type { SealedValue } from '../../infrastructure/crypto-shredding/personal-data.js';
import { Id, Position, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import type { Projection, RecordedOf } from '../projection.js';

/** The read model's table: one row per recorded violation. */
export interface ViolationsTable {
  tenant_id: string;
  violation_id: string;
  client_id: string;
  kind: ViolationRecordedData['kind'];
  severity: ViolationRecordedData['severity'];
  action: ViolationRecordedData['action'];
  ai_service_id: string | null;
  analysis_id: string | null;
  evidence_id: string | null;
  entity_counts: Record<string, number>;
  reasons: string[];
  occurred_at: Date;
  position: string;
  status: ViolationStatus;
  assignee_id: string | null;
  /** Who sent the prompt, sealed as in the event (read back through the vault, `[erased]` once erased). */
  user_ref: SealedValue | null;
  acknowledged_at: Date | null;
  resolved_at: Date | null;
  resolution_note: string | null;
  updated_at: Date | null;
}

/** What happened to a violation after it was raised: one row per workflow event. */
export interface ViolationActivityTable {
  tenant_id: string;
  position: string;
  event_id: string;
  violation_id: string;
  client_id: string;
  type: ViolationWorkflowEventType;
  actor_id: string;
  assignee_id: string | null;
  comment_id: string | null;
  note: string | null;
  at: Date;
}

export interface ViolationsTables {
  violations: ViolationsTable;
  violation_activity: ViolationActivityTable;
}

/** What was done about a violation: every action but letting the prompt through. */
export const VIOLATION_ACTIONS = [
  'warn',
  'redact',
  'block',
] as const satisfies readonly ViolationRecordedData['action'][];

/** Entity types and how many of each, the one shape of violations in REST, Kafka and webhooks: never the values. */
export const EntityCounts = z.array(z.object({ type: z.string(), count: z.int() })).meta({
  id: 'EntityCounts',
  description:
    'Entity types with how many of each, sorted by type: in a violation those the policy acted on, in an analysis all found',
});

/** From the recorded map to the published list, sorted by type so that the same violation always reads the same. */
export const entitiesOf = (counts: Record<string, number>): z.output<typeof EntityCounts> =>
  Object.entries(counts)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([type, count]) => ({ type, count }));

/** A violation as the API shows it. */
export const Violation = z
  .object({
    violationId: Id,
    clientId: z.string(),
    kind: z.enum(VIOLATION_KINDS),
    severity: z.enum(SEVERITIES),
    action: z.enum(VIOLATION_ACTIONS),
    aiServiceId: z.string().nullable(),
    analysisId: z.string().nullable(),
    evidenceId: z.string().nullable(),
    entities: EntityCounts,
    reasons: z.array(z.string()),
    occurredAt: Timestamp,
    position: Position,
    status: z.enum(VIOLATION_STATUSES),
    assigneeId: z.string().nullable(),
    userRef: z
      .string()
      .nullable()
      .describe('Who sent the prompt, as the caller named them (userRef); "[erased]" once erased, null when not given'),
    acknowledgedAt: Timestamp.nullable(),
    resolvedAt: Timestamp.nullable(),
    resolutionNote: z.string().nullable(),
    updatedAt: Timestamp.describe('When it was raised or last acted on'),
  })
  .meta({ id: 'Violation' });

/** One step of a violation's life, oldest first: raised, then each workflow event. */
export const ViolationActivity = z
  .object({
    type: z.enum(['raised', 'acknowledged', 'assigned', 'resolved', 'reopened', 'commented']),
    actorId: z.string().nullable().describe('Who did it; null for the raising itself (see userRef and the analysis)'),
    at: Timestamp,
    note: z.string().nullable(),
    assigneeId: z.string().nullable(),
    position: Position,
  })
  .meta({ id: 'ViolationActivity' });

export const ViolationComment = z
  .object({ commentId: z.string(), authorId: z.string(), text: z.string(), at: Timestamp, position: Position })
  .meta({ id: 'ViolationComment' });

/** GET /violations/{id}: the violation with its timeline and comments. */
export const ViolationDetail = Violation.extend({
  timeline: z.array(ViolationActivity),
  comments: z.array(ViolationComment),
}).meta({ id: 'ViolationDetail' });

const ACTIVITY_OF: Record<ViolationWorkflowEventType, z.output<typeof ViolationActivity>['type']> = {
  ViolationAcknowledged: 'acknowledged',
  ViolationAssigned: 'assigned',
  ViolationResolved: 'resolved',
  ViolationReopened: 'reopened',
  ViolationCommented: 'commented',
};

/** A count per severity, every severity present (0 when none). */
export const SeverityCounts = z.object(
  Object.fromEntries(SEVERITIES.map((severity) => [severity, z.int()])) as Record<
    (typeof SEVERITIES)[number],
    z.ZodInt
  >,
);

/** Counts of nothing yet, per severity. */
export const noSeverities = () =>
  Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as z.output<typeof SeverityCounts>;

const iso = (at: Date | string) => new Date(at).toISOString();
const isoOrNull = (at: Date | string | null) => (at === null ? null : iso(at));

/** A row as the API shows it; `userRef` is the row's sealed user reference, already revealed by the caller. */
export function violationOf(row: Selectable<ViolationsTable>, userRef: string | null): z.output<typeof Violation> {
  return {
    violationId: row.violation_id,
    clientId: row.client_id,
    kind: row.kind,
    severity: row.severity,
    action: row.action,
    aiServiceId: row.ai_service_id,
    analysisId: row.analysis_id,
    evidenceId: row.evidence_id,
    entities: entitiesOf(row.entity_counts),
    reasons: row.reasons,
    occurredAt: iso(row.occurred_at),
    position: row.position,
    status: row.status,
    assigneeId: row.assignee_id,
    userRef,
    acknowledgedAt: isoOrNull(row.acknowledged_at),
    resolvedAt: isoOrNull(row.resolved_at),
    resolutionNote: row.resolution_note,
    updatedAt: iso(row.updated_at ?? row.occurred_at),
  };
}

/** The timeline (raised first) and comments of one violation, from its row and its activity rows. */
export function historyOf(
  row: Selectable<ViolationsTable>,
  activity: readonly Selectable<ViolationActivityTable>[],
): Pick<z.output<typeof ViolationDetail>, 'timeline' | 'comments'> {
  const raised: z.output<typeof ViolationActivity> = {
    type: 'raised',
    actorId: null,
    at: iso(row.occurred_at),
    note: null,
    assigneeId: null,
    position: row.position,
  };
  return {
    timeline: [
      raised,
      ...activity.map((a) => ({
        type: ACTIVITY_OF[a.type],
        actorId: a.actor_id,
        at: iso(a.at),
        note: a.note,
        assigneeId: a.assignee_id,
        position: a.position,
      })),
    ],
    comments: activity
      .filter((a) => a.type === 'ViolationCommented')
      .map((a) => ({
        commentId: a.comment_id!,
        authorId: a.actor_id,
        text: a.note!,
        at: iso(a.at),
        position: a.position,
      })),
  };
}

/** Every violation, for GET /violations and the MSP summary. */
export const violationsProjection: Projection<ViolationEvent | ViolationWorkflowEvent> = {
  name: 'violations',
  // 2: status, assignee, user reference and the activity of each violation.
  version: 2,
  canHandle: ['ViolationRecorded', ...VIOLATION_WORKFLOW_EVENT_TYPES],
  tables: ['violations', 'violation_activity'],
  async apply(trx, batch, table) {
    // In log order: a run of recorded violations at once, then each workflow event on the rows it changes.
    for (let i = 0; i < batch.length;) {
      const event = batch[i]!;
      if (event.type === 'ViolationRecorded') {
        let j = i;
        while (j < batch.length && batch[j]!.type === 'ViolationRecorded') j++;
        await insertRecorded(trx, batch.slice(i, j) as readonly RecordedOf<ViolationEvent>[], table);
        i = j;
      } else {
        await applyWorkflow(trx, event as RecordedOf<ViolationWorkflowEvent>, table);
        i++;
      }
    }
  },
};

async function insertRecorded(
  trx: Transaction<unknown>,
  events: readonly RecordedOf<ViolationEvent>[],
  table: (name: string) => string,
): Promise<void> {
  // One array per column through unnest (see the audit log): few parameters, fast to bind.
  const v = (e: (typeof events)[number]) => e.data;
  const column = <T>(f: (e: (typeof events)[number]) => T) => events.map(f);
  await sql`
      insert into ${sql.table(table('violations'))}
        (tenant_id, violation_id, client_id, kind, severity, action, ai_service_id, analysis_id, evidence_id, entity_counts, reasons, occurred_at, position, user_ref)
      select tenant_id, violation_id::uuid, client_id, kind, severity, action, ai_service_id, analysis_id, evidence_id, entity_counts::jsonb, reasons::jsonb, occurred_at::timestamptz, position, user_ref::jsonb
      from unnest(
        ${column((e) => e.metadata.tenantId)}::text[], ${column((e) => e.id)}::text[], ${column((e) => v(e).clientId)}::text[], ${column((e) => v(e).kind)}::text[],
        ${column((e) => v(e).severity)}::text[], ${column((e) => v(e).action)}::text[], ${column((e) => v(e).aiServiceId ?? null)}::text[],
        ${column((e) => v(e).analysisId ?? null)}::text[], ${column((e) => v(e).evidenceId ?? null)}::text[], ${column((e) => JSON.stringify(v(e).entityCounts))}::text[],
        ${column((e) => JSON.stringify(v(e).reasons))}::text[], ${column((e) => e.metadata.recordedAt)}::text[], ${column((e) => e.position)}::text[],
        ${column((e) => (v(e).userRef ? JSON.stringify(v(e).userRef) : null))}::text[]
      ) as t(tenant_id, violation_id, client_id, kind, severity, action, ai_service_id, analysis_id, evidence_id, entity_counts, reasons, occurred_at, position, user_ref)
      on conflict (tenant_id, violation_id) do nothing`.execute(trx);
}

/** One workflow event: its activity row (once, by position), and the violation's row as it now stands. */
async function applyWorkflow(
  trx: Transaction<unknown>,
  event: RecordedOf<ViolationWorkflowEvent>,
  table: (name: string) => string,
): Promise<void> {
  const { tenantId, actorId, recordedAt } = event.metadata;
  const d = event.data;
  const assigneeId = event.type === 'ViolationAssigned' ? event.data.assigneeId : null;
  const commentId = event.type === 'ViolationCommented' ? event.data.commentId : null;
  const note = event.type === 'ViolationCommented' ? event.data.text : event.data.note;
  const inserted = await sql`
    insert into ${sql.table(table('violation_activity'))}
      (tenant_id, position, event_id, violation_id, client_id, type, actor_id, assignee_id, comment_id, note, at)
    values (${tenantId}, ${event.position}, ${event.id}::uuid, ${d.violationId}, ${d.clientId}, ${event.type}, ${actorId},
      ${assigneeId}, ${commentId}, ${note}, ${recordedAt}::timestamptz)
    on conflict (tenant_id, position) do nothing`.execute(trx);
  if (Number(inserted.numAffectedRows ?? 0) === 0) return;
  const violations = sql.table(table('violations'));
  const where = sql`where tenant_id = ${tenantId} and violation_id = ${d.violationId}::uuid`;
  const at = sql`${recordedAt}::timestamptz`;
  switch (event.type) {
    case 'ViolationAcknowledged':
      await sql`update ${violations} set status = 'acknowledged', acknowledged_at = ${at}, updated_at = ${at} ${where}`.execute(
        trx,
      );
      return;
    case 'ViolationAssigned':
      await sql`update ${violations} set assignee_id = ${assigneeId}, updated_at = ${at} ${where}`.execute(trx);
      return;
    case 'ViolationResolved':
      await sql`update ${violations} set status = 'resolved', resolved_at = ${at}, resolution_note = ${event.data.note}, updated_at = ${at} ${where}`.execute(
        trx,
      );
      return;
    case 'ViolationReopened':
      await sql`update ${violations} set status = 'open', acknowledged_at = null, resolved_at = null, resolution_note = null, updated_at = ${at} ${where}`.execute(
        trx,
      );
      return;
    case 'ViolationCommented':
      await sql`update ${violations} set updated_at = ${at} ${where}`.execute(trx);
      return;
  }
}
