import { sql, type Transaction } from 'kysely';
import { z } from 'zod';
import { FRAMEWORK_IDS } from '../../domain/frameworks/catalog.js';
import { POLICY_STATUSES, policyStream } from '../../domain/policies/policy.js';
import { authOf, type Authenticated } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import {
  Id,
  ListMeta,
  page,
  Paging,
  Position,
  resource,
  Timestamp,
} from '../../infrastructure/http/contract/schemas.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import {
  Policy,
  policyOf,
  policiesProjection,
  PolicyVersion,
  policyVersionOf,
  PolicyWithContent,
} from '../../projections/read-models/policies.js';
import type { ReadModels } from '../../projections/read-models/tables.js';
import { minPosition } from '../http/min-position.js';
import {
  AsOf,
  clientOfList,
  listMeta,
  ownedBy,
  pageOf,
  pageOfItems,
  readAt,
  readModels,
  timeRange,
  type ReadDeps,
} from '../http/reads.js';

const read = { permission: 'policy:read' } as const;
const PolicyPath = z.object({ id: Id });
const missing = { 404: { description: 'No such policy', problem: true } } as const;

/** The policy's row, as the caller may see it. */
async function policyRow(trx: Transaction<ReadModels>, actor: Authenticated, policyId: string) {
  const row = await trx.selectFrom('policies').selectAll().where('policy_id', '=', policyId).executeTakeFirst();
  return ownedBy(actor, row, 'policy');
}

/** GET /policies, /policies/{id} and /policies/{id}/versions: policies, their content and their review history. */
export function policyReads(deps: ReadDeps & { waitMs: number }) {
  const caughtUp = minPosition(deps.database, deps.eventStore, [policiesProjection], deps.waitMs);
  const replayed = (actor: Authenticated, policyId: string) => ({
    projections: [policiesProjection],
    streamId: policyStream(actor.tenantId, policyId),
  });
  return [
    operation({
      operationId: 'listPolicies',
      method: 'get',
      path: '/policies',
      tags: ['policies'],
      summary: 'Policies, most recently changed first (or by creation or title)',
      access: read,
      headers: ['X-Min-Position'],
      query: Paging.extend({
        ...timeRange('when the policy last changed'),
        clientId: Id.optional(),
        status: z.enum(POLICY_STATUSES).optional(),
        frameworkId: z.enum(FRAMEWORK_IDS).optional(),
        sort: z.enum(['updatedAt', 'createdAt', 'title']).default('updatedAt'),
      }),
      answers: { 200: { description: 'Policies', schema: page(Policy) } },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const { status, frameworkId, from, to, sort } = req.query;
        const clientId = clientOfList(req.query.clientId, actor);
        const paging = pageOf(req.query);
        const rows = await asTenant(readModels(deps.database), actor, (trx) => {
          let query = trx
            .selectFrom('policies')
            .selectAll()
            .select(sql<number>`count(*) over ()`.as('total'));
          if (clientId) query = query.where('client_id', '=', clientId);
          if (status) query = query.where('status', '=', status);
          if (frameworkId) query = query.where('framework_id', '=', frameworkId);
          if (from) query = query.where('updated_at', '>=', from);
          if (to) query = query.where('updated_at', '<', to);
          query =
            sort === 'title'
              ? query.orderBy('title').orderBy('policy_id')
              : query.orderBy(sort === 'createdAt' ? 'created_at' : 'updated_at', 'desc').orderBy('policy_id');
          return query.limit(paging.size).offset(paging.offset).execute();
        });
        res.json({ data: rows.map(policyOf), meta: listMeta(paging, Number(rows[0]?.total ?? 0)) });
      },
    }),
    operation({
      operationId: 'getPolicy',
      method: 'get',
      path: '/policies/{id}',
      tags: ['policies'],
      summary: 'One policy with the content of its current version, now or as it was at asOf',
      access: read,
      headers: ['X-Min-Position'],
      params: PolicyPath,
      etag: ({ id }, tenantId) => policyStream(tenantId, id),
      query: z.object({ asOf: AsOf }),
      answers: { 200: { description: 'The policy', schema: resource(PolicyWithContent) }, ...missing },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const policyId = req.params.id;
        res.json(
          await readAt(deps, actor, req.query.asOf, replayed(actor, policyId), async (trx) => {
            const policy = await policyRow(trx, actor, policyId);
            const version = await trx
              .selectFrom('policy_versions')
              .select(['content', 'content_hash'])
              .where('policy_id', '=', policyId)
              .where('version', '=', policy.current_version)
              .executeTakeFirst();
            return { ...policyOf(policy), content: version?.content ?? '', contentHash: version?.content_hash ?? '' };
          }),
        );
      },
    }),
    operation({
      operationId: 'listPolicyVersions',
      method: 'get',
      path: '/policies/{id}/versions',
      tags: ['policies'],
      summary:
        'Every version of a policy with its review history (generated, edited, submitted, approved, published), now or as at asOf',
      access: read,
      headers: ['X-Min-Position'],
      params: PolicyPath,
      query: Paging.extend({ asOf: AsOf }),
      answers: {
        200: {
          description: 'Versions',
          schema: z.object({
            data: z.array(PolicyVersion),
            meta: ListMeta.extend({ asOf: Timestamp.optional(), position: Position.nullable().optional() }),
          }),
        },
        ...missing,
      },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const policyId = req.params.id;
        const { data, meta } = await readAt(deps, actor, req.query.asOf, replayed(actor, policyId), async (trx) => {
          await policyRow(trx, actor, policyId);
          const versions = await trx
            .selectFrom('policy_versions')
            .select(['version', 'content_hash', 'author_id', 'created_at'])
            .where('policy_id', '=', policyId)
            .orderBy('version')
            .execute();
          const reviews = await trx
            .selectFrom('policy_reviews')
            .select(['version', 'action', 'actor_id', 'comment', 'at'])
            .where('policy_id', '=', policyId)
            .orderBy('position')
            .execute();
          return versions.map((version) => policyVersionOf(version, reviews));
        });
        const paged = pageOfItems(data, req.query);
        res.json({ data: paged.data, meta: { ...meta, ...paged.meta } });
      },
    }),
  ];
}
