import { sql, type Transaction } from 'kysely';
import type { Database } from '../../infrastructure/database/database.js';
import type { EventStore } from '../../infrastructure/event-store/types.js';
import { assessmentsProjection } from '../../projections/read-models/assessments.js';
import { evidenceProjection } from '../../projections/read-models/evidence.js';
import { policiesProjection } from '../../projections/read-models/policies.js';
import { violationsProjection } from '../../projections/read-models/violations.js';
import { scopeOf } from './client-scope.js';
import { atMoment, type AsOf, type Replayed } from '../point-in-time/replay.js';

const DIFF_PROJECTIONS = [assessmentsProjection, evidenceProjection, policiesProjection, violationsProjection];
const MAX_ITEMS = 500;

type Row = Record<string, unknown>;
const iso = (value: unknown): string => new Date(value as string).toISOString();

interface Snapshot {
  moment: Replayed;
  results: Row[];
  evidence: Row[];
  policies: Row[];
  violations: Row[];
}

/** What the diff compares, read from the read models as they were at one moment. */
async function snapshot(
  trx: Transaction<unknown>,
  moment: Replayed,
  clientId: string | null,
  violationsAfter: string | null,
): Promise<Snapshot> {
  const mine = sql`(${clientId}::text is null or client_id = ${clientId})`;
  const rows = async (query: ReturnType<typeof sql<Row>>) => (await query.execute(trx)).rows;
  return {
    moment,
    results: await rows(sql`
      select r.assessment_id, a.client_id, a.framework_id, a.title, r.requirement_id, r.result
      from assessment_results r join assessments a using (tenant_id, assessment_id) where (${clientId}::text is null or a.client_id = ${clientId})`),
    evidence: await rows(
      sql`select evidence_id, client_id, title, status, expires_at, uploaded_at from evidence where ${mine}`,
    ),
    policies: await rows(
      sql`select policy_id, client_id, framework_id, title, status, current_version, published_version from policies where ${mine}`,
    ),
    violations:
      violationsAfter === null
        ? []
        : await rows(sql`
            select violation_id, client_id, kind, severity, action, occurred_at, position from violations
            where ${mine} and occurred_at > ${violationsAfter}::timestamptz and occurred_at <= ${moment.at}::timestamptz order by position`),
  };
}

const expiredAt = (row: Row | undefined, at: string): boolean =>
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
) {
  const { tenantId } = actor;
  const reader = scopeOf(eventStore, actor);
  const before = await atMoment(
    database,
    eventStore,
    { tenantId, asOf: from, projections: DIFF_PROJECTIONS, reader },
    (trx, moment) => snapshot(trx, moment, clientId, null),
  );
  const after = await atMoment(
    database,
    eventStore,
    { tenantId, asOf: to, projections: DIFF_PROJECTIONS, reader },
    (trx, moment) => snapshot(trx, moment, clientId, before.moment.at),
  );

  const key = (r: Row) => `${String(r.assessment_id)}/${String(r.requirement_id)}`;
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
  const evidenceItem = (r: Row) => ({
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

  const bySeverity: Record<string, number> = { low: 0, medium: 0, high: 0, critical: 0 };
  for (const v of after.violations) bySeverity[String(v.severity)] = (bySeverity[String(v.severity)] ?? 0) + 1;

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
