import { z } from 'zod';
import { profileAccess } from '../../domain/accounts/profile-access.js';
import { userStream } from '../../domain/accounts/user.js';
import type { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import { authOf, mfaEnrolmentRequired } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { Id, resource } from '../../infrastructure/http/contract/schemas.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import { UserProfile, userProfileOf, userProfilesProjection } from '../../projections/read-models/user-profiles.js';
import { usersProjection } from '../../projections/read-models/users.js';
import { minPosition } from '../http/min-position.js';
import { notFound, readModels, type ReadDeps } from '../http/reads.js';

/** `?flag=true|false`, as a boolean. */
export const QueryFlag = z.enum(['true', 'false']).transform((flag) => flag === 'true');

/**
 * GET /users/{id}/profile: the profile, contacts and professional history, opened from their sealed form ("[erased]"
 * once the user is erased). The user and their administrators see all of it; others who may read the user see a
 * public profile, and its contacts only when the user agreed to be contacted.
 */
export function profileReads(deps: ReadDeps & { waitMs: number; vault: Pick<PersonalDataVault, 'open'> }) {
  const caughtUp = minPosition(deps.database, deps.eventStore, [usersProjection, userProfilesProjection], deps.waitMs);
  return [
    operation({
      operationId: 'getUserProfile',
      method: 'get',
      path: '/users/{id}/profile',
      tags: ['users'],
      summary: "A user's profile, contacts and professional history",
      access: 'signed-in',
      headers: ['X-Min-Position'],
      params: z.object({ id: Id }),
      etag: ({ id }, tenantId) => userStream(tenantId, id),
      query: z.object({
        includeInactive: QueryFlag.optional().describe('true: deactivated contacts and entries too'),
      }),
      answers: {
        200: { description: 'The profile (all null until one is set)', schema: resource(UserProfile) },
        403: { description: 'The profile is not public', problem: true },
        404: { description: 'No such user that you may see', problem: true },
      },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        if (actor.enrolmentOnly) throw mfaEnrolmentRequired();
        const userId = req.params.id;
        const all = req.query.includeInactive === true;
        const read = await asTenant(readModels(deps.database), actor, async (trx) => {
          const user = await trx
            .selectFrom('users')
            .select(['user_id', 'client_id'])
            .where('user_id', '=', userId)
            .executeTakeFirst();
          if (!user) return undefined;
          let contacts = trx.selectFrom('user_contacts').selectAll().where('user_id', '=', userId);
          let experience = trx.selectFrom('user_experience').selectAll().where('user_id', '=', userId);
          if (!all) {
            contacts = contacts.where('active', '=', true);
            experience = experience.where('active', '=', true);
          }
          return {
            user,
            profile: await trx.selectFrom('user_profiles').selectAll().where('user_id', '=', userId).executeTakeFirst(),
            contacts: await contacts.orderBy('created_at').orderBy('contact_id').execute(),
            experience: await experience.orderBy('created_at').orderBy('entry_id').execute(),
          };
        });
        // A user of another client or tenant is not there for the caller (row-level security hides it too).
        const access = read ? profileAccess(actor, { userId, clientId: read.user.client_id }) : 'none';
        if (!read || access === 'none') throw notFound('user');
        if (access === 'read' && !read.profile?.public)
          throw new HttpProblem(403, 'forbidden', 'Forbidden', 'This profile is not public.');
        const contacts = access === 'manage' || read.profile?.contact ? read.contacts : [];
        // Opened after the read, outside its transaction: the vault reads keys with a connection of its own.
        res.json({
          data: await userProfileOf(userId, read.profile, contacts, read.experience, deps.vault),
          meta: {},
        });
      },
    }),
  ];
}
