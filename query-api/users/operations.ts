import { sql } from 'kysely';
import { z } from 'zod';
import { USER_STATUSES, userStream } from '../../domain/accounts/user.js';
import type { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { CountryCode2 } from '../../infrastructure/http/contract/country.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { Id, page, Paging, resource } from '../../infrastructure/http/contract/schemas.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import { profileFieldsOf, userProfilesProjection } from '../../projections/read-models/user-profiles.js';
import { User, userOf, usersProjection } from '../../projections/read-models/users.js';
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
  type ReadDeps,
} from '../http/reads.js';
import { profileReads, QueryFlag } from './profiles.js';

const read = { permission: 'user:read' } as const;

/**
 * GET /users and /users/{id}: the tenant's users and their roles (a client-scoped user sees its client's). E-mail and
 * name are sealed in the read model and opened per request, so an erased user's read back as erased.
 */
export function userReads(deps: ReadDeps & { waitMs: number; vault: Pick<PersonalDataVault, 'open'> }) {
  const caughtUp = minPosition(deps.database, deps.eventStore, [usersProjection], deps.waitMs);
  const profilesCaughtUp = minPosition(
    deps.database,
    deps.eventStore,
    [usersProjection, userProfilesProjection],
    deps.waitMs,
  );
  return [
    ...profileReads(deps),
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
        contact: QueryFlag.optional().describe('true: users whose profile says they may be contacted'),
        public: QueryFlag.optional().describe('true: users whose profile is public'),
        country: z
          .string()
          .transform((list, ctx) => {
            const codes = list.split(',').map((code) => CountryCode2.safeParse(code));
            if (codes.every((code) => code.success)) return codes.map((code) => code.data);
            ctx.addIssue({ code: 'custom', message: 'ISO 3166-1 alpha-2 codes, comma-separated' });
            return z.NEVER;
          })
          .optional()
          .describe("The profile's country, one or several (GB,IE)"),
        q: z.string().trim().min(1).max(100).optional().describe('Part of the display name, in any case'),
      }),
      answers: { 200: { description: 'Users', schema: page(User) } },
      before: [profilesCaughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const { role, status, contact, country, q } = req.query;
        const clientId = clientOfList(req.query.clientId, actor);
        const paging = pageOf(req.query);
        // Country and display name are sealed: those filters run on the opened values, over the caller's users,
        // and (unless the caller manages them) only on profiles the caller may read, so nothing private is inferred.
        const opened = country !== undefined || q !== undefined;
        const rows = await asTenant(readModels(deps.database), actor, (trx) => {
          let query = trx
            .selectFrom('users')
            .leftJoin('user_profiles as p', (join) =>
              join.onRef('p.tenant_id', '=', 'users.tenant_id').onRef('p.user_id', '=', 'users.user_id'),
            )
            .selectAll('users')
            .select(['p.fields as profile_fields', 'p.public as profile_public'])
            .select(sql<string>`count(*) over ()`.as('total'));
          if (clientId) query = query.where('users.client_id', '=', clientId);
          if (role) query = query.where('users.role', '=', role);
          if (status) query = query.where('users.status', '=', status);
          if (contact !== undefined) query = query.where(sql<boolean>`coalesce(p.contact, false) = ${contact}`);
          if (req.query.public !== undefined)
            query = query.where(sql<boolean>`coalesce(p.public, false) = ${req.query.public}`);
          if (opened) query = query.where('p.user_id', 'is not', null);
          query = query.orderBy('users.created_at').orderBy('users.user_id');
          return opened ? query.execute() : query.limit(paging.size).offset(paging.offset).execute();
        });
        if (opened) {
          const manages = actor.permissions.includes('user:write');
          const matching = [];
          for (const row of rows) {
            if (!manages && !row.profile_public && row.user_id !== actor.userId) continue;
            const fields = await profileFieldsOf(row.profile_fields ?? undefined, deps.vault);
            if (country && !country.includes(fields.country ?? '')) continue;
            if (q && !(fields.displayName ?? '').toLowerCase().includes(q.toLowerCase())) continue;
            matching.push(row);
          }
          const { data, meta } = pageOfItems(matching, req.query);
          res.json({ data: await Promise.all(data.map((row) => userOf(row, deps.vault))), meta });
          return;
        }
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
