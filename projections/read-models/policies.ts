import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import { POLICY_STATUSES, type PolicyEvent } from '../../domain/policies/policy.js';
import { Id, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import { aggregateIdOf, type Projection } from '../projection.js';

type PolicyStatus = (typeof POLICY_STATUSES)[number];

/** One row per policy: its status and its current and published versions. */
export interface PoliciesTable {
  tenant_id: string;
  policy_id: string;
  client_id: string;
  framework_id: string;
  title: string;
  status: PolicyStatus;
  current_version: number;
  published_version: number | null;
  created_at: Date;
  updated_at: Date;
}

/** One row per version of a policy, with its content. */
export interface PolicyVersionsTable {
  tenant_id: string;
  policy_id: string;
  version: number;
  content: string;
  content_hash: string;
  author_id: string;
  created_at: Date;
}

/** One row per step of a policy's review (generated, edited, submitted, approved, published, retired). */
export interface PolicyReviewsTable {
  tenant_id: string;
  policy_id: string;
  position: string;
  /** Null for a retirement, which is of the policy rather than of a version. */
  version: number | null;
  action: string;
  actor_id: string;
  comment: string | null;
  at: Date;
}

export interface PoliciesTables {
  policies: PoliciesTable;
  policy_versions: PolicyVersionsTable;
  policy_reviews: PolicyReviewsTable;
}

/** A policy as the API lists it. */
export const Policy = z
  .object({
    policyId: Id,
    clientId: z.string(),
    frameworkId: z.string(),
    title: z.string(),
    status: z.enum(POLICY_STATUSES),
    version: z.int(),
    publishedVersion: z.int().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Policy' });

/** A policy with the content of its current version. */
export const PolicyWithContent = Policy.extend({ content: z.string(), contentHash: z.string() }).meta({
  id: 'PolicyWithContent',
});

/** A version of a policy with its review history. */
export const PolicyVersion = z
  .object({
    version: z.int(),
    contentHash: z.string(),
    authorId: z.string(),
    createdAt: Timestamp,
    history: z.array(
      z.object({ action: z.string(), actorId: z.string(), comment: z.string().nullable(), at: Timestamp }),
    ),
  })
  .meta({ id: 'PolicyVersion' });

export function policyOf(row: Selectable<PoliciesTable>): z.output<typeof Policy> {
  return {
    policyId: row.policy_id,
    clientId: row.client_id,
    frameworkId: row.framework_id,
    title: row.title,
    status: row.status,
    version: row.current_version,
    publishedVersion: row.published_version,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** A version with the review steps taken on it. */
export function policyVersionOf(
  row: Pick<Selectable<PolicyVersionsTable>, 'version' | 'content_hash' | 'author_id' | 'created_at'>,
  reviews: ReadonlyArray<Pick<Selectable<PolicyReviewsTable>, 'version' | 'action' | 'actor_id' | 'comment' | 'at'>>,
): z.output<typeof PolicyVersion> {
  return {
    version: row.version,
    contentHash: row.content_hash,
    authorId: row.author_id,
    createdAt: new Date(row.created_at).toISOString(),
    history: reviews
      .filter((review) => review.version === row.version)
      .map((review) => ({
        action: review.action,
        actorId: review.actor_id,
        comment: review.comment,
        at: new Date(review.at).toISOString(),
      })),
  };
}

/** Policies, each version's content, and who submitted, approved, published or retired what. */
export const policiesProjection: Projection<PolicyEvent> = {
  name: 'policies',
  version: 1,
  canHandle: [
    'PolicyGenerated',
    'PolicyDraftEdited',
    'PolicySubmitted',
    'PolicyApproved',
    'PolicyPublished',
    'PolicyRetired',
  ],
  tables: ['policies', 'policy_versions', 'policy_reviews'],
  async apply(trx, events, table) {
    for (const event of events) {
      const policies = sql.table(table('policies'));
      const versions = sql.table(table('policy_versions'));
      const reviews = sql.table(table('policy_reviews'));
      const tenantId = event.metadata.tenantId;
      const policyId = aggregateIdOf(event.streamId);
      const at = event.metadata.recordedAt;
      const review = (version: number | null, action: string, actorId: string, comment: string | null) =>
        sql`insert into ${reviews} (tenant_id, policy_id, position, version, action, actor_id, comment, at)
            values (${tenantId}, ${policyId}, ${event.position}, ${version}, ${action}, ${actorId}, ${comment}, ${at}) on conflict do nothing`.execute(
          trx,
        );
      const { type, data } = event;
      switch (type) {
        case 'PolicyGenerated':
          await sql`
            insert into ${policies} (tenant_id, policy_id, client_id, framework_id, title, status, current_version, created_at, updated_at)
            values (${tenantId}, ${policyId}, ${data.clientId}, ${data.frameworkId}, ${data.title}, 'draft', ${data.version}, ${at}, ${at}) on conflict do nothing`.execute(
            trx,
          );
          await sql`
            insert into ${versions} (tenant_id, policy_id, version, content, content_hash, author_id, created_at)
            values (${tenantId}, ${policyId}, ${data.version}, ${data.content}, ${data.contentHash}, ${data.authorId}, ${at}) on conflict do nothing`.execute(
            trx,
          );
          await review(data.version, 'generated', data.authorId, null);
          continue;
        case 'PolicyDraftEdited':
          await sql`
            insert into ${versions} (tenant_id, policy_id, version, content, content_hash, author_id, created_at)
            values (${tenantId}, ${policyId}, ${data.version}, ${data.content}, ${data.contentHash}, ${data.authorId}, ${at}) on conflict do nothing`.execute(
            trx,
          );
          await sql`update ${policies} set status = 'draft', current_version = ${data.version}, updated_at = ${at} where tenant_id = ${tenantId} and policy_id = ${policyId}`.execute(
            trx,
          );
          await review(data.version, 'edited', data.authorId, null);
          continue;
        case 'PolicySubmitted':
          await sql`update ${policies} set status = 'in_review', updated_at = ${at} where tenant_id = ${tenantId} and policy_id = ${policyId}`.execute(
            trx,
          );
          await review(data.version, 'submitted', data.submittedBy, data.comment);
          continue;
        case 'PolicyApproved':
          await sql`update ${policies} set status = 'approved', updated_at = ${at} where tenant_id = ${tenantId} and policy_id = ${policyId}`.execute(
            trx,
          );
          await review(data.version, 'approved', data.approvedBy, data.comment);
          continue;
        case 'PolicyPublished':
          await sql`update ${policies} set status = 'published', published_version = ${data.version}, updated_at = ${at} where tenant_id = ${tenantId} and policy_id = ${policyId}`.execute(
            trx,
          );
          await review(data.version, 'published', data.publishedBy, data.comment);
          continue;
        case 'PolicyRetired':
          await sql`update ${policies} set status = 'retired', updated_at = ${at} where tenant_id = ${tenantId} and policy_id = ${policyId}`.execute(
            trx,
          );
          await review(null, 'retired', data.retiredBy, null);
          continue;
      }
    }
  },
};
