import { sql } from 'kysely';
import { z } from 'zod';
import { USER_STATUSES, userStream } from '../../domain/accounts/user.js';
import type { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { Id, page, Paging, resource } from '../../infrastructure/http/contract/schemas.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import { User, userOf, usersProjection } from '../../projections/read-models/users.js';
import { minPosition } from '../http/min-position.js';
import { AsOf, clientOfList, listMeta, ownedBy, pageOf, readAt, readModels, type ReadDeps } from '../http/reads.js';

const read = { permission: 'user:read' } as const;

/**
 * GET /users and /users/{id}: the tenant's users and their roles (a client-scoped user sees its client's). E-mail and
 * name are sealed in the read model and opened per request, so an erased user's read back as erased.
 */
export function userReads(deps: ReadDeps & { waitMs: number; vault: Pick<PersonalDataVault, 'open'> }) {
  const caughtUp = minPosition(deps.database, deps.eventStore, [usersProjection], deps.waitMs);
  return [
    operation({
      operationId: 'listUsers',
      method: 'get',
      path: '/users',
      tags: ['users'],
      summary: "The tenant's users and their roles (a client-scoped user sees its client's)",
      access: read,
      headers: ['X-Min-Position'],
      query: Paging.extend({
        clientId: Id.optional(),
        role: z.string().optional(),
        status: z.enum(USER_STATUSES).optional(),
      }),
      answers: { 200: { description: 'Users', schema: page(User) } },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const { role, status } = req.query;
        const clientId = clientOfList(req.query.clientId, actor);
        const paging = pageOf(req.query);
        const rows = await asTenant(readModels(deps.database), actor, (trx) => {
          let query = trx
            .selectFrom('users')
            .selectAll()
            .select(sql<string>`count(*) over ()`.as('total'));
          if (clientId) query = query.where('client_id', '=', clientId);
          if (role) query = query.where('role', '=', role);
          if (status) query = query.where('status', '=', status);
          return query.orderBy('created_at').orderBy('user_id').limit(paging.size).offset(paging.offset).execute();
        });
        res.json({
          data: await Promise.all(rows.map((row) => userOf(row, deps.vault))),
          meta: listMeta(paging, Number(rows[0]?.total ?? 0)),
        });
      },
    }),
    operation({
      operationId: 'getUser',
      method: 'get',
      path: '/users/{id}',
      tags: ['users'],
      summary: 'One user, now or as at asOf',
      access: read,
      headers: ['X-Min-Position'],
      params: z.object({ id: Id }),
      etag: ({ id }, tenantId) => userStream(tenantId, id),
      query: z.object({ asOf: AsOf }),
      answers: {
        200: { description: 'The user', schema: resource(User) },
        404: { description: 'No such user', problem: true },
      },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const userId = req.params.id;
        const target = { projections: [usersProjection], streamId: userStream(actor.tenantId, userId) };
        const { data, meta } = await readAt(deps, actor, req.query.asOf, target, async (trx) =>
          ownedBy(
            actor,
            await trx.selectFrom('users').selectAll().where('user_id', '=', userId).executeTakeFirst(),
            'user',
          ),
        );
        // Opened after the read, outside its transaction: the vault reads keys with a connection of its own.
        res.json({ data: await userOf(data, deps.vault), meta });
      },
    }),
  ];
}
