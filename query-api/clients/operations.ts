import { sql } from 'kysely';
import { z } from 'zod';
import { CLIENT_STATUSES, clientStream } from '../../domain/clients/client.js';
import { FRAMEWORK_IDS } from '../../domain/frameworks/catalog.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { Id, page, Paging, resource } from '../../infrastructure/http/contract/schemas.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import { Client, clientOf, clientsProjection } from '../../projections/read-models/clients.js';
import { minPosition } from '../http/min-position.js';
import {
  AsOf,
  clientOfList,
  containing,
  listMeta,
  notFound,
  ownedBy,
  pageOf,
  readAt,
  readModels,
  type ReadDeps,
} from '../http/reads.js';

const read = { permission: 'client:read' } as const;

/** GET /clients and /clients/{id}: the MSP's client companies (a client-scoped user sees its own). */
export function clientReads(deps: ReadDeps & { waitMs: number }) {
  const caughtUp = minPosition(deps.database, deps.eventStore, [clientsProjection], deps.waitMs);
  return [
    operation({
      operationId: 'listClients',
      method: 'get',
      path: '/clients',
      tags: ['clients'],
      summary: "The MSP's clients (a client-scoped user sees its own)",
      access: read,
      headers: ['X-Min-Position'],
      query: Paging.extend({
        status: z.enum(CLIENT_STATUSES).optional(),
        framework: z.enum(FRAMEWORK_IDS).optional(),
        q: z.string().max(200).optional().describe('name contains'),
        clientId: Id.optional(),
        sort: z.enum(['name', 'createdAt']).optional(),
      }),
      answers: { 200: { description: 'Clients', schema: page(Client) } },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const { status, framework, q, sort } = req.query;
        const clientId = clientOfList(req.query.clientId, actor);
        const paging = pageOf(req.query);
        const rows = await asTenant(readModels(deps.database), actor, (trx) => {
          let query = trx
            .selectFrom('clients')
            .selectAll()
            .select(sql<string>`count(*) over ()`.as('total'));
          if (clientId) query = query.where('client_id', '=', clientId);
          if (status) query = query.where('status', '=', status);
          if (framework) query = query.where(sql<boolean>`${framework} = any(frameworks)`);
          if (q) query = query.where('name', 'ilike', containing(q));
          query =
            sort === 'createdAt'
              ? query.orderBy('created_at', 'desc').orderBy('client_id')
              : query.orderBy('name').orderBy('client_id');
          return query.limit(paging.size).offset(paging.offset).execute();
        });
        res.json({ data: rows.map(clientOf), meta: listMeta(paging, Number(rows[0]?.total ?? 0)) });
      },
    }),
    operation({
      operationId: 'getClient',
      method: 'get',
      path: '/clients/{id}',
      tags: ['clients'],
      summary: 'One client, now or as it was at asOf',
      access: read,
      headers: ['X-Min-Position'],
      params: z.object({ id: Id }),
      etag: ({ id }, tenantId) => clientStream(tenantId, id),
      query: z.object({ asOf: AsOf }),
      answers: {
        200: { description: 'The client', schema: resource(Client) },
        404: { description: 'No such client', problem: true },
      },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const clientId = req.params.id;
        if (actor.clientId !== null && actor.clientId !== clientId) throw notFound('client');
        const target = { projections: [clientsProjection], streamId: clientStream(actor.tenantId, clientId) };
        res.json(
          await readAt(deps, actor, req.query.asOf, target, async (trx) => {
            const row = await trx
              .selectFrom('clients')
              .selectAll()
              .where('client_id', '=', clientId)
              .executeTakeFirst();
            return clientOf(ownedBy(actor, row, 'client'));
          }),
        );
      },
    }),
  ];
}
