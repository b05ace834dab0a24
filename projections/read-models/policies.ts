import { sql } from 'kysely';
import type { PolicyEvent } from '../../domain/policies/policy.js';
import { aggregateIdOf, type Projection } from '../projection.js';

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
