import { sql } from 'kysely';
import type { UserEvent } from '../../domain/accounts/user.js';
import { aggregateIdOf, type Projection } from '../projection.js';

/** Sealed values are stored as they are in the event: JSON (an envelope, or a plain string from before sealing). */
const sealed = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/** Users, their roles and status: GET /users. Personal data stays sealed (see migrations/0011). */
export const usersProjection: Projection<UserEvent> = {
  name: 'users',
  version: 1,
  canHandle: [
    'UserRegistered',
    'UserInvited',
    'InvitationAccepted',
    'EmailVerified',
    'UserRoleChanged',
    'UserDeactivated',
    'UserErased',
  ],
  tables: ['users'],
  async apply(trx, events, table) {
    for (const event of events) {
      const users = sql.table(table('users'));
      const tenantId = event.metadata.tenantId;
      const userId = aggregateIdOf(event.streamId);
      const at = event.metadata.recordedAt;
      const update = (changes: ReturnType<typeof sql>) =>
        sql`update ${users} set ${changes}, updated_at = ${at}::timestamptz where tenant_id = ${tenantId} and user_id = ${userId}`.execute(
          trx,
        );
      const { type, data } = event;
      switch (type) {
        case 'UserRegistered':
        case 'UserInvited': {
          const status = type === 'UserRegistered' ? 'active' : 'invited';
          const name = type === 'UserRegistered' ? sealed(data.name) : null;
          await sql`
            insert into ${users} (tenant_id, user_id, email, name, role, client_id, status, email_verified, created_at, updated_at)
            values (${tenantId}, ${userId}, ${sealed(data.email)}::jsonb, ${name}::jsonb, ${data.role}, ${data.clientId}, ${status}, false, ${at}::timestamptz, ${at}::timestamptz)
            on conflict (tenant_id, user_id) do nothing`.execute(trx);
          continue;
        }
        case 'InvitationAccepted':
          await update(sql`status = 'active', email_verified = true, name = ${sealed(data.name)}::jsonb`);
          continue;
        case 'EmailVerified':
          await update(sql`email_verified = true`);
          continue;
        case 'UserRoleChanged':
          await update(sql`role = ${data.role}, client_id = ${data.clientId}`);
          continue;
        case 'UserDeactivated':
          await update(sql`status = 'deactivated'`);
          continue;
        case 'UserErased':
          // The sealed values would read back as "[erased]" anyway; the read model keeps no copy of them at all.
          await update(sql`status = 'erased', email = null, name = null`);
          continue;
        default:
          continue;
      }
    }
  },
};
