import { freshness, type EvidenceState } from '../../domain/evidence/evidence.js';
import { sql, type Transaction } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../infrastructure/database/database.js';
import { comparePositions } from '../../infrastructure/event-store/position.js';
import type { EventStore, RecordedEvent } from '../../infrastructure/event-store/types.js';
import { Position, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import { assessmentsProjection } from '../../projections/read-models/assessments.js';
import { evidenceProjection } from '../../projections/read-models/evidence.js';
import { policiesProjection } from '../../projections/read-models/policies.js';
import type { ReadModels } from '../../projections/read-models/tables.js';
import { usersProjection } from '../../projections/read-models/users.js';
import {
  noSeverities,
  SeverityCounts,
  Violation,
  violationsProjection,
} from '../../projections/read-models/violations.js';
import {
  VIOLATION_WORKFLOW_EVENT_TYPES,
  VIOLATION_STATUSES,
  type ViolationStatus,
  type ViolationWorkflowEventType,
} from '../../domain/violations/workflow.js';
import { ClientScope, scopeOf } from './client-scope.js';
import { atMoment, type AsOf, type Replayed } from '../point-in-time/replay.js';

const DIFF_PROJECTIONS = [
  assessmentsProjection,
  evidenceProjection,
  policiesProjection,
  violationsProjection,
  usersProjection,
];
const MAX_ITEMS = 500;

const Moment = z.object({ asOf: Timestamp, position: Position.nullable() });
const DiffEvidence = z.object({
  evidenceId: z.string(),
  clientId: z.string(),
  title: z.string(),
  status: z.string(),
  expiresAt: Timestamp,
});

const Change = { actorId: z.string(), at: Timestamp, position: Position };

/** An event of the period, as the list of every change shows it (never its data). */
const PeriodEvent = z.object({
  position: Position,
  type: z.string(),
  streamId: z.string(),
  clientId: z.string().nullable(),
  actorId: z.string(),
  recordedAt: Timestamp,
});

/** What changed between two moments, as GET /history/diff answers it. */
export const Diff = z
  .object({
    from: Moment,
    to: Moment,
    requirements: z.array(
      z.object({
        assessmentId: z.string(),
        clientId: z.string(),
        frameworkId: z.string(),
        assessment: z.string(),
        requirementId: z.string(),
        from: z.string().nullable(),
        to: z.string(),
      }),
    ),
    evidence: z.object({
      added: z.array(DiffEvidence),
      expired: z
        .array(DiffEvidence)
        .describe('evidence that reached its expiry in the period (retired evidence apart)'),
      retired: z.array(DiffEvidence).describe('evidence retired in the period'),
    }),
    policies: z.array(
      z.object({
        policyId: z.string(),
        clientId: z.string(),
        frameworkId: z.string(),
        title: z.string(),
        fromVersion: z.int().nullable(),
        toVersion: z.int(),
        fromStatus: z.string().nullable(),
        toStatus: z.string(),
      }),
    ),
    approvals: z
      .array(
        z.object({
          kind: z.enum(['ai-service', 'policy']),
          clientId: z.string().nullable(),
          subjectId: z.string().describe('the AI service or the policy'),
          name: z.string().nullable(),
          decision: z.enum(['approved', 'revoked']),
          version: z.int().nullable().describe("a policy's approved version"),
          reason: z.string().nullable(),
          ...Change,
        }),
      )
      .describe("every approval and revocation of an AI service for a client, and every policy version's approval"),
    aiPolicies: z
      .array(
        z.object({
          clientId: z.string().nullable(),
          rules: z.int(),
          customPatterns: z.int(),
          unapprovedService: z.string(),
          ...Change,
        }),
      )
      .describe("every change of a client's AI usage policy"),
    roles: z
      .array(
        z.object({
          userId: z.string(),
          fromRole: z.string().nullable(),
          toRole: z.string(),
          fromClientId: z.string().nullable(),
          toClientId: z.string().nullable(),
          ...Change,
        }),
      )
      .describe('every role given (an invitation or registration: fromRole null) or changed'),
    changes: z
      .object({ total: z.int(), byType: z.record(z.string(), z.int()), items: z.array(PeriodEvent) })
      .describe('every event recorded in the period (refused commands aside), whatever it changed'),
    violations: z.object({
      total: z.int(),
      bySeverity: SeverityCounts,
      items: z.array(
        Violation.pick({
          violationId: true,
          clientId: true,
          kind: true,
          severity: true,
          action: true,
          occurredAt: true,
          position: true,
        }),
      ),
      changes: z
        .array(
          z.object({
            violationId: z.string(),
            clientId: z.string().nullable(),
            step: z.enum(['acknowledged', 'assigned', 'resolved', 'reopened', 'commented']),
            fromStatus: z.enum(VIOLATION_STATUSES),
            toStatus: z.enum(VIOLATION_STATUSES),
            assigneeId: z.string().nullable().describe('the user it was assigned to (an assigned step)'),
            note: z.string().nullable().describe("the step's note, or the comment's text"),
            ...Change,
          }),
        )
        .describe('every workflow step of the period on a violation, whenever it was raised, in log order'),
    }),
    truncated: z.boolean(),
  })
  .meta({ id: 'HistoryDiff' });

// Assessments, evidence and policies are read with SQL until their read models declare their tables.
interface ResultRow {
  assessment_id: string;
  client_id: string;
  framework_id: string;
  title: string;
  requirement_id: string;
  result: string;
}
interface EvidenceRow {
  evidence_id: string;
  client_id: string;
  title: string;
  status: string;
  expires_at: Date;
  uploaded_at: Date;
}
interface PolicyRow {
  policy_id: string;
  client_id: string;
  framework_id: string;
  title: string;
  status: string;
  current_version: number;
  published_version: number | null;
}

interface UserRow {
  user_id: string;
  role: string;
  client_id: string | null;
}

/** What the diff compares, read from the read models as they were at one moment. */
async function snapshot(
  trx: Transaction<ReadModels>,
  moment: Replayed,
  clientId: string | null,
  /** Positions after which violations are listed (null: from the start); undefined lists none. */
  violationsAfter: string | null | undefined,
  /** The violations whose status to read (those the period's workflow steps act on). */
  statusesOf: readonly string[] = [],
) {
  const mine = sql`(${clientId}::text is null or client_id = ${clientId})`;
  return {
    moment,
    results: (
      await sql<ResultRow>`
        select r.assessment_id, a.client_id, a.framework_id, a.title, r.requirement_id, r.result
        from assessment_results r join assessments a using (tenant_id, assessment_id) where (${clientId}::text is null or a.client_id = ${clientId})`.execute(
        trx,
      )
    ).rows,
    evidence: (
      await sql<EvidenceRow>`select evidence_id, client_id, title, status, expires_at, uploaded_at from evidence where ${mine}`.execute(
        trx,
      )
    ).rows,
    policies: (
      await sql<PolicyRow>`select policy_id, client_id, framework_id, title, status, current_version, published_version from policies where ${mine}`.execute(
        trx,
      )
    ).rows,
    users: (await sql<UserRow>`select user_id, role, client_id from users`.execute(trx)).rows,
    aiServices: (
      await sql<{ ai_service_id: string; name: string }>`select ai_service_id, name from ai_services`.execute(trx)
    ).rows,
    // The replay holds the violations up to this moment; those after the earlier moment's position are the period's.
    // By position, not time: a recorded time and a moment's time differ in precision, and times can tie.
    violations:
      violationsAfter === undefined
        ? []
        : await trx
            .selectFrom('violations')
            .select(['violation_id', 'client_id', 'kind', 'severity', 'action', 'occurred_at', 'position'])
            .$if(clientId !== null, (query) => query.where('client_id', '=', clientId!))
            .$if(violationsAfter !== null, (query) => query.where('position', '>', violationsAfter!))
            .orderBy('position')
            .execute(),
    statuses:
      statusesOf.length === 0
        ? []
        : await trx
            .selectFrom('violations')
            .select(['violation_id', 'status'])
            .where(sql<boolean>`violation_id::text = any(${sql.val([...statusesOf])}::text[])`)
            .execute(),
  };
}

const WORKFLOW_STEPS: Record<
  ViolationWorkflowEventType,
  { step: 'acknowledged' | 'assigned' | 'resolved' | 'reopened' | 'commented'; to?: ViolationStatus }
> = {
  ViolationAcknowledged: { step: 'acknowledged', to: 'acknowledged' },
  ViolationAssigned: { step: 'assigned' },
  ViolationResolved: { step: 'resolved', to: 'resolved' },
  ViolationReopened: { step: 'reopened', to: 'open' },
  ViolationCommented: { step: 'commented' },
};
const isWorkflowStep = (type: string): type is ViolationWorkflowEventType =>
  (VIOLATION_WORKFLOW_EVENT_TYPES as readonly string[]).includes(type);

const iso = (value: Date | string): string => new Date(value).toISOString();
/** The evidence's freshness at a moment, by the one rule (domain/evidence): retired is apart from expired. */
const freshnessAt = (row: EvidenceRow | undefined, at: string) =>
  row &&
  freshness(
    { status: row.status as EvidenceState['status'], expiresAt: row.expires_at ? iso(row.expires_at) : undefined },
    at,
  );
const expiredAt = (row: EvidenceRow | undefined, at: string): boolean => freshnessAt(row, at) === 'expired';
const retired = (row: EvidenceRow | undefined, at: string): boolean => freshnessAt(row, at) === 'retired';

/** Whether an event comes after a moment: after its position, or recorded after its time (as replays cut the log). */
const after = (event: RecordedEvent, moment: AsOf): boolean =>
  moment.kind === 'position'
    ? comparePositions(event.position, moment.position) > 0
    : event.metadata.recordedAt > moment.time;

/** The tenant's events after `from` up to `to`, that the reader sees (and of one client, when asked), in log order. */
async function eventsBetween(
  eventStore: EventStore,
  tenantId: string,
  reader: ClientScope | undefined,
  owner: ClientScope,
  from: AsOf,
  to: AsOf,
  clientId: string | null,
): Promise<Array<{ event: RecordedEvent; clientId: string | null }>> {
  const events: Array<{ event: RecordedEvent; clientId: string | null }> = [];
  const start = from.kind === 'position' ? { from: from.position } : {};
  for await (const event of eventStore.readAll({ tenantId, ...start })) {
    if (after(event, to)) break;
    if (!after(event, from) || event.type === 'CommandRefused') continue;
    if (reader && !(await reader.sees(event))) continue;
    const owned = await owner.clientOfEvent(event);
    if (clientId !== null && owned !== clientId) continue;
    events.push({ event, clientId: owned });
  }
  return events;
}

/**
 * What changed between two moments: requirements whose result changed, evidence added, expired or retired (apart),
 * policies that changed version or status, approvals, AI usage policy changes, roles given or changed, the
 * violations recorded in between, and every event of the period by type. Both ends are replayed by the
 * same projections as any asOf read, so a diff agrees with the two states it compares.
 */
export async function historyDiff(
  database: Database,
  eventStore: EventStore,
  actor: { tenantId: string; clientId: string | null },
  from: AsOf,
  to: AsOf,
  clientId: string | null,
): Promise<z.output<typeof Diff>> {
  const { tenantId } = actor;
  const reader = scopeOf(eventStore, actor);
  const at = (asOf: AsOf, violationsAfter: string | null | undefined, statusesOf?: readonly string[]) =>
    atMoment(
      database,
      eventStore,
      { tenantId, asOf, projections: DIFF_PROJECTIONS, reader },
      (trx: Transaction<ReadModels>, moment) => snapshot(trx, moment, clientId, violationsAfter, statusesOf),
    );
  const period = await eventsBetween(
    eventStore,
    tenantId,
    reader,
    reader ?? new ClientScope(eventStore, ''),
    from,
    to,
    clientId,
  );
  const stepped = [
    ...new Set(
      period
        .filter(({ event }) => isWorkflowStep(event.type))
        .map(({ event }) => String((event.data as { violationId?: unknown }).violationId)),
    ),
  ];
  const before = await at(from, undefined, stepped);
  const later = await at(to, before.moment.position);

  const key = (r: ResultRow) => `${r.assessment_id}/${r.requirement_id}`;
  const resultsBefore = new Map(before.results.map((r) => [key(r), r]));
  const requirements = later.results
    .filter((r) => resultsBefore.get(key(r))?.result !== r.result)
    .map((r) => ({
      assessmentId: r.assessment_id,
      clientId: r.client_id,
      frameworkId: r.framework_id,
      assessment: r.title,
      requirementId: r.requirement_id,
      from: resultsBefore.get(key(r))?.result ?? null,
      to: r.result,
    }));

  const evidenceBefore = new Map(before.evidence.map((r) => [r.evidence_id, r]));
  const evidenceItem = (r: EvidenceRow) => ({
    evidenceId: r.evidence_id,
    clientId: r.client_id,
    title: r.title,
    status: r.status,
    expiresAt: iso(r.expires_at),
  });
  const added = later.evidence.filter((r) => !evidenceBefore.has(r.evidence_id)).map(evidenceItem);
  const expired = later.evidence
    .filter((r) => expiredAt(r, later.moment.at) && !expiredAt(evidenceBefore.get(r.evidence_id), before.moment.at))
    .map(evidenceItem);
  const retiredInPeriod = later.evidence
    .filter((r) => retired(r, later.moment.at) && !retired(evidenceBefore.get(r.evidence_id), before.moment.at))
    .map(evidenceItem);

  // Approvals, usage policies and roles from the period's events: each change, even one undone before `to`.
  const serviceNames = new Map(later.aiServices.map((r) => [r.ai_service_id, r.name]));
  const policyTitles = new Map(later.policies.map((r) => [r.policy_id, r.title]));
  const userRoles = new Map(before.users.map((r) => [r.user_id, { role: r.role, clientId: r.client_id }]));
  const approvals: z.output<typeof Diff>['approvals'] = [];
  const aiPolicies: z.output<typeof Diff>['aiPolicies'] = [];
  const roles: z.output<typeof Diff>['roles'] = [];
  const byType: Record<string, number> = {};
  // Each violation's status as the period goes, from what it was at `from` (open when raised in the period).
  const statusNow = new Map(before.statuses.map((r) => [r.violation_id, r.status as ViolationStatus]));
  const violationSteps: z.output<typeof Diff>['violations']['changes'] = [];
  for (const { event, clientId: owner } of period) {
    byType[event.type] = (byType[event.type] ?? 0) + 1;
    const change = { actorId: event.metadata.actorId, at: event.metadata.recordedAt, position: event.position };
    const data = event.data as Record<string, unknown>;
    const id = event.streamId.split('/').pop()!;
    if (isWorkflowStep(event.type)) {
      const violationId = String(data.violationId);
      const fromStatus = statusNow.get(violationId) ?? 'open';
      const { step, to: moved } = WORKFLOW_STEPS[event.type];
      const toStatus = moved ?? fromStatus;
      statusNow.set(violationId, toStatus);
      const note = event.type === 'ViolationCommented' ? data.text : data.note;
      violationSteps.push({
        violationId,
        clientId: owner,
        step,
        fromStatus,
        toStatus,
        assigneeId: typeof data.assigneeId === 'string' ? data.assigneeId : null,
        note: typeof note === 'string' ? note : null,
        ...change,
      });
    }
    switch (event.type) {
      case 'AiServiceApproved':
      case 'AiServiceRevoked': {
        const aiServiceId = String(data.aiServiceId);
        approvals.push({
          kind: 'ai-service',
          clientId: owner,
          subjectId: aiServiceId,
          name: serviceNames.get(aiServiceId) ?? null,
          decision: event.type === 'AiServiceApproved' ? 'approved' : 'revoked',
          version: null,
          reason: typeof data.reason === 'string' ? data.reason : null,
          ...change,
        });
        break;
      }
      case 'PolicyApproved':
        approvals.push({
          kind: 'policy',
          clientId: owner,
          subjectId: id,
          name: policyTitles.get(id) ?? null,
          decision: 'approved',
          version: typeof data.version === 'number' ? data.version : null,
          reason: typeof data.comment === 'string' ? data.comment : null,
          ...change,
        });
        break;
      case 'AiPolicySet':
        aiPolicies.push({
          clientId: owner,
          rules: Array.isArray(data.rules) ? data.rules.length : 0,
          customPatterns: Array.isArray(data.customPatterns) ? data.customPatterns.length : 0,
          unapprovedService: String(data.unapprovedService),
          ...change,
        });
        break;
      case 'UserRegistered':
      case 'UserInvited':
      case 'UserRoleChanged': {
        const was = event.type === 'UserRoleChanged' ? userRoles.get(id) : undefined;
        const now = { role: String(data.role), clientId: typeof data.clientId === 'string' ? data.clientId : null };
        userRoles.set(id, now);
        roles.push({
          userId: id,
          fromRole: was?.role ?? null,
          toRole: now.role,
          fromClientId: was?.clientId ?? null,
          toClientId: now.clientId,
          ...change,
        });
        break;
      }
    }
  }

  const policiesBefore = new Map(before.policies.map((r) => [r.policy_id, r]));
  const policies = later.policies
    .filter((r) => {
      const was = policiesBefore.get(r.policy_id);
      return !was || was.current_version !== r.current_version || was.status !== r.status;
    })
    .map((r) => {
      const was = policiesBefore.get(r.policy_id);
      return {
        policyId: r.policy_id,
        clientId: r.client_id,
        frameworkId: r.framework_id,
        title: r.title,
        fromVersion: was?.current_version ?? null,
        toVersion: r.current_version,
        fromStatus: was?.status ?? null,
        toStatus: r.status,
      };
    });

  const bySeverity = noSeverities();
  for (const v of later.violations) bySeverity[v.severity] += 1;

  return {
    from: { asOf: before.moment.at, position: before.moment.position },
    to: { asOf: later.moment.at, position: later.moment.position },
    requirements: requirements.slice(0, MAX_ITEMS),
    evidence: {
      added: added.slice(0, MAX_ITEMS),
      expired: expired.slice(0, MAX_ITEMS),
      retired: retiredInPeriod.slice(0, MAX_ITEMS),
    },
    policies: policies.slice(0, MAX_ITEMS),
    approvals: approvals.slice(0, MAX_ITEMS),
    aiPolicies: aiPolicies.slice(0, MAX_ITEMS),
    roles: roles.slice(0, MAX_ITEMS),
    changes: {
      total: period.length,
      byType,
      items: period.slice(0, MAX_ITEMS).map(({ event, clientId: owner }) => ({
        position: event.position,
        type: event.type,
        streamId: event.streamId,
        clientId: owner,
        actorId: event.metadata.actorId,
        recordedAt: event.metadata.recordedAt,
      })),
    },
    violations: {
      total: later.violations.length,
      bySeverity,
      items: later.violations.slice(0, MAX_ITEMS).map((v) => ({
        violationId: v.violation_id,
        clientId: v.client_id,
        kind: v.kind,
        severity: v.severity,
        action: v.action,
        occurredAt: iso(v.occurred_at),
        position: v.position,
      })),
      changes: violationSteps.slice(0, MAX_ITEMS),
    },
    truncated:
      Math.max(
        requirements.length,
        added.length,
        expired.length,
        retiredInPeriod.length,
        policies.length,
        approvals.length,
        aiPolicies.length,
        roles.length,
        period.length,
        later.violations.length,
        violationSteps.length,
      ) > MAX_ITEMS,
  };
}
