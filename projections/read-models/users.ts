import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import { USER_STATUSES, type UserEvent } from '../../domain/accounts/user.js';
import {
  isSealed,
  type PersonalDataVault,
  type SealedValue,
} from '../../infrastructure/crypto-shredding/personal-data.js';
import { Id, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import { aggregateIdOf, type Projection } from '../projection.js';

/** A sealed value as the event holds it: an envelope, or a plain string from before sealing. */
type Sealed = SealedValue | string;

/** The read model's table: one row per user; e-mail and name as sealed as in the events (null once erased). */
export interface UsersTable {
  tenant_id: string;
  user_id: string;
  email: Sealed | null;
  name: Sealed | null;
  role: string;
  client_id: string | null;
  status: (typeof USER_STATUSES)[number];
  email_verified: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface UsersTables {
  users: UsersTable;
}

/** A user as the API shows it. */
export const User = z
  .object({
    userId: Id,
    email: z.string().nullable().describe('"[erased]" or null once the user is erased'),
    name: z.string().nullable(),
    role: z.string(),
    clientId: z.string().nullable(),
    status: z.enum(USER_STATUSES),
    emailVerified: z.boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'User' });

/** A user, with e-mail and name opened from their sealed form ("[erased]" once the user is erased). */
export async function userOf(
  row: Selectable<UsersTable>,
  vault: Pick<PersonalDataVault, 'open'>,
): Promise<z.output<typeof User>> {
  const opened = async (value: Sealed | null) => (isSealed(value) ? vault.open(value) : value);
  return {
    userId: row.user_id,
    email: await opened(row.email),
    name: await opened(row.name),
    role: row.role,
    clientId: row.client_id ?? null,
    status: row.status,
    emailVerified: row.email_verified,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

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
