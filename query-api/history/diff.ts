import { sql, type Transaction } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../infrastructure/database/database.js';
import type { EventStore } from '../../infrastructure/event-store/types.js';
import { Position, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import { assessmentsProjection } from '../../projections/read-models/assessments.js';
import { evidenceProjection } from '../../projections/read-models/evidence.js';
import { policiesProjection } from '../../projections/read-models/policies.js';
import type { ReadModels } from '../../projections/read-models/tables.js';
import {
  noSeverities,
  SeverityCounts,
  Violation,
  violationsProjection,
} from '../../projections/read-models/violations.js';
import { scopeOf } from './client-scope.js';
import { atMoment, type AsOf, type Replayed } from '../point-in-time/replay.js';

const DIFF_PROJECTIONS = [assessmentsProjection, evidenceProjection, policiesProjection, violationsProjection];
const MAX_ITEMS = 500;

const Moment = z.object({ asOf: Timestamp, position: Position.nullable() });
const DiffEvidence = z.object({
  evidenceId: z.string(),
  clientId: z.string(),
  title: z.string(),
  status: z.string(),
  expiresAt: Timestamp,
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
    evidence: z.object({ added: z.array(DiffEvidence), expired: z.array(DiffEvidence) }),
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

/** What the diff compares, read from the read models as they were at one moment. */
async function snapshot(
  trx: Transaction<ReadModels>,
  moment: Replayed,
  clientId: string | null,
  violationsAfter: string | null,
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
    violations:
      violationsAfter === null
        ? []
        : await trx
            .selectFrom('violations')
            .select(['violation_id', 'client_id', 'kind', 'severity', 'action', 'occurred_at', 'position'])
            .$if(clientId !== null, (query) => query.where('client_id', '=', clientId!))
            .where('occurred_at', '>', new Date(violationsAfter))
            .where('occurred_at', '<=', new Date(moment.at))
            .orderBy('position')
            .execute(),
  };
}

const iso = (value: Date | string): string => new Date(value).toISOString();
const expiredAt = (row: EvidenceRow | undefined, at: string): boolean =>
  !!row && (row.status !== 'active' || iso(row.expires_at) <= at);

/**
 * What changed between two moments: requirements whose result changed, evidence added or expired (or retired),
 * policies that changed version or status, and the violations recorded in between. Both ends are replayed by the
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
  const at = (asOf: AsOf, violationsAfter: string | null) =>
    atMoment(
      database,
      eventStore,
      { tenantId, asOf, projections: DIFF_PROJECTIONS, reader },
      (trx: Transaction<ReadModels>, moment) => snapshot(trx, moment, clientId, violationsAfter),
    );
  const before = await at(from, null);
  const after = await at(to, before.moment.at);

  const key = (r: ResultRow) => `${r.assessment_id}/${r.requirement_id}`;
  const resultsBefore = new Map(before.results.map((r) => [key(r), r]));
  const requirements = after.results
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
  const added = after.evidence.filter((r) => !evidenceBefore.has(r.evidence_id)).map(evidenceItem);
  const expired = after.evidence
    .filter((r) => expiredAt(r, after.moment.at) && !expiredAt(evidenceBefore.get(r.evidence_id), before.moment.at))
    .map(evidenceItem);

  const policiesBefore = new Map(before.policies.map((r) => [r.policy_id, r]));
  const policies = after.policies
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
  for (const v of after.violations) bySeverity[v.severity] += 1;

  return {
    from: { asOf: before.moment.at, position: before.moment.position },
    to: { asOf: after.moment.at, position: after.moment.position },
    requirements: requirements.slice(0, MAX_ITEMS),
    evidence: { added: added.slice(0, MAX_ITEMS), expired: expired.slice(0, MAX_ITEMS) },
    policies: policies.slice(0, MAX_ITEMS),
    violations: {
      total: after.violations.length,
      bySeverity,
      items: after.violations.slice(0, MAX_ITEMS).map((v) => ({
        violationId: v.violation_id,
        clientId: v.client_id,
        kind: v.kind,
        severity: v.severity,
        action: v.action,
        occurredAt: iso(v.occurred_at),
        position: v.position,
      })),
    },
    truncated:
      Math.max(requirements.length, added.length, expired.length, policies.length, after.violations.length) > MAX_ITEMS,
  };
}
