import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import { PROFILE_TEXT_FIELDS, type ProfileEvent } from '../../domain/accounts/profile.js';
import type { UserEvent } from '../../domain/accounts/user.js';
import {
  isSealed,
  type PersonalDataVault,
  type SealedValue,
} from '../../infrastructure/crypto-shredding/personal-data.js';
import { Id, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import { aggregateIdOf, type Projection } from '../projection.js';

/** A value as the event holds it: sealed, or "[erased]" once the projection has seen the user erased. */
type Sealed = SealedValue | string;
type SealedFields = Record<string, Sealed | null>;

/** One row per user who has set a profile: its text fields sealed (jsonb object of envelopes), its flags plain. */
export interface UserProfilesTable {
  tenant_id: string;
  user_id: string;
  fields: SealedFields;
  public: boolean;
  contact: boolean;
  updated_at: Date;
}

export interface UserContactsTable {
  tenant_id: string;
  user_id: string;
  contact_id: string;
  type: string;
  value: Sealed;
  label: Sealed | null;
  is_primary: boolean;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface UserExperienceTable {
  tenant_id: string;
  user_id: string;
  entry_id: string;
  fields: SealedFields;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface UserProfilesTables {
  user_profiles: UserProfilesTable;
  user_contacts: UserContactsTable;
  user_experience: UserExperienceTable;
}

const Text = z.string().nullable();

export const UserContact = z
  .object({
    contactId: Id,
    type: z.string().describe("'phone', 'email', or another channel such as 'teams' or 'slack'"),
    value: z.string().describe('Phone numbers in E.164; "[erased]" once the user is erased'),
    label: Text,
    primary: z.boolean().describe('The one primary contact of its type'),
    active: z.boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'UserContact' });

export const ExperienceEntry = z
  .object({
    entryId: Id,
    title: z.string(),
    company: z.string(),
    industry: Text,
    startDate: z.string(),
    endDate: Text.describe('null: current'),
    active: z.boolean(),
    createdAt: Timestamp,
  })
  .meta({ id: 'ExperienceEntry' });

export const UserProfile = z
  .object({
    userId: Id,
    firstName: Text,
    lastName: Text,
    displayName: Text,
    dateOfBirth: Text,
    location: z.object({ country: Text, stateOrProvince: Text, city: Text, postalCode: Text }),
    bio: Text,
    pictureUrl: Text,
    public: z.boolean(),
    contact: z.boolean(),
    contacts: z.array(UserContact).describe('Active ones, unless includeInactive=true; only with `contact` for others'),
    experience: z.array(ExperienceEntry),
    updatedAt: Timestamp.nullable().describe('null: no profile set yet'),
  })
  .meta({ id: 'UserProfile' });

type Vault = Pick<PersonalDataVault, 'open'>;
const opened = async (vault: Vault, value: Sealed | null | undefined): Promise<string | null> =>
  value === null || value === undefined ? null : isSealed(value) ? vault.open(value) : value;

/** The profile's text fields, opened ("[erased]" once the user is erased). */
export async function profileFieldsOf(fields: SealedFields | undefined, vault: Vault) {
  const entries = await Promise.all(
    PROFILE_TEXT_FIELDS.map(async (field) => [field, await opened(vault, fields?.[field])] as const),
  );
  return Object.fromEntries(entries) as Record<(typeof PROFILE_TEXT_FIELDS)[number], string | null>;
}

export async function userProfileOf(
  userId: string,
  row: Selectable<UserProfilesTable> | undefined,
  contacts: readonly Selectable<UserContactsTable>[],
  experience: readonly Selectable<UserExperienceTable>[],
  vault: Vault,
): Promise<z.output<typeof UserProfile>> {
  const f = await profileFieldsOf(row?.fields, vault);
  return {
    userId,
    firstName: f.firstName,
    lastName: f.lastName,
    displayName: f.displayName,
    dateOfBirth: f.dateOfBirth,
    location: { country: f.country, stateOrProvince: f.stateOrProvince, city: f.city, postalCode: f.postalCode },
    bio: f.bio,
    pictureUrl: f.pictureUrl,
    public: row?.public ?? false,
    contact: row?.contact ?? false,
    contacts: await Promise.all(
      contacts.map(async (c) => ({
        contactId: c.contact_id,
        type: c.type,
        value: (await opened(vault, c.value)) ?? '',
        label: await opened(vault, c.label),
        primary: c.is_primary,
        active: c.active,
        createdAt: new Date(c.created_at).toISOString(),
        updatedAt: new Date(c.updated_at).toISOString(),
      })),
    ),
    experience: await Promise.all(
      experience.map(async (e) => ({
        entryId: e.entry_id,
        title: (await opened(vault, e.fields.title)) ?? '',
        company: (await opened(vault, e.fields.company)) ?? '',
        industry: await opened(vault, e.fields.industry),
        startDate: (await opened(vault, e.fields.startDate)) ?? '',
        endDate: await opened(vault, e.fields.endDate),
        active: e.active,
        createdAt: new Date(e.created_at).toISOString(),
      })),
    ),
    updatedAt: row ? new Date(row.updated_at).toISOString() : null,
  };
}

const json = (value: unknown) => JSON.stringify(value === undefined ? null : value);
const pick = (data: object, fields: readonly string[]) =>
  json(Object.fromEntries(fields.map((field) => [field, (data as Record<string, unknown>)[field] ?? null])));

/** Every non-null value of a jsonb object read as "[erased]": the read model keeps no sealed copy after erasure. */
const erasedObject = (column: string) =>
  sql.raw(
    `(select coalesce(jsonb_object_agg(key, case when jsonb_typeof(value) = 'null' then value else '"[erased]"'::jsonb end), '{}'::jsonb) from jsonb_each(${column}))`,
  );

/** Profiles, contacts and professional history: GET /users/{id}/profile and the GET /users filters. */
export const userProfilesProjection: Projection<UserEvent> = {
  name: 'user-profiles',
  version: 1,
  canHandle: [
    'ProfileSet',
    'ContactAdded',
    'ContactChanged',
    'ContactDeactivated',
    'ExperienceAdded',
    'ExperienceDeactivated',
    'UserErased',
  ] satisfies (ProfileEvent['type'] | 'UserErased')[],
  tables: ['user_profiles', 'user_contacts', 'user_experience'],
  async apply(trx, events, table) {
    const profiles = sql.table(table('user_profiles'));
    const contacts = sql.table(table('user_contacts'));
    const experience = sql.table(table('user_experience'));
    for (const event of events) {
      const tenantId = event.metadata.tenantId;
      const userId = aggregateIdOf(event.streamId);
      const at = event.metadata.recordedAt;
      const contactRow = (contactId: string) => sql`tenant_id = ${tenantId} and contact_id = ${contactId}`;
      switch (event.type) {
        case 'ProfileSet': {
          const { data } = event;
          await sql`
            insert into ${profiles} (tenant_id, user_id, fields, public, contact, updated_at)
            values (${tenantId}, ${userId}, ${pick(data, PROFILE_TEXT_FIELDS)}::jsonb, ${data.public}, ${data.contact}, ${at}::timestamptz)
            on conflict (tenant_id, user_id) do update set fields = excluded.fields, public = excluded.public,
              contact = excluded.contact, updated_at = excluded.updated_at`.execute(trx);
          continue;
        }
        case 'ContactAdded': {
          const { data } = event;
          if (data.primary)
            await sql`update ${contacts} set is_primary = false, updated_at = ${at}::timestamptz
              where tenant_id = ${tenantId} and user_id = ${userId} and type = ${data.type} and is_primary`.execute(
              trx,
            );
          await sql`
            insert into ${contacts} (tenant_id, user_id, contact_id, type, value, label, is_primary, active, created_at, updated_at)
            values (${tenantId}, ${userId}, ${data.contactId}, ${data.type}, ${json(data.value)}::jsonb, ${json(data.label)}::jsonb,
              ${data.primary}, true, ${at}::timestamptz, ${at}::timestamptz)
            on conflict (tenant_id, contact_id) do nothing`.execute(trx);
          continue;
        }
        case 'ContactChanged': {
          const { data } = event;
          if (data.primary)
            await sql`update ${contacts} set is_primary = false, updated_at = ${at}::timestamptz
              where tenant_id = ${tenantId} and user_id = ${userId} and is_primary and contact_id <> ${data.contactId}
                and type = (select type from ${contacts} where ${contactRow(data.contactId)})`.execute(trx);
          const changes = [
            ...(data.value !== undefined ? [sql`value = ${json(data.value)}::jsonb`] : []),
            ...(data.label !== undefined ? [sql`label = ${json(data.label)}::jsonb`] : []),
            ...(data.primary !== undefined ? [sql`is_primary = ${data.primary}`] : []),
            sql`updated_at = ${at}::timestamptz`,
          ];
          await sql`update ${contacts} set ${sql.join(changes)} where ${contactRow(data.contactId)}`.execute(trx);
          continue;
        }
        case 'ContactDeactivated':
          await sql`update ${contacts} set active = false, is_primary = false, updated_at = ${at}::timestamptz
            where ${contactRow(event.data.contactId)}`.execute(trx);
          continue;
        case 'ExperienceAdded': {
          const fields = pick(event.data, ['title', 'company', 'industry', 'startDate', 'endDate']);
          await sql`
            insert into ${experience} (tenant_id, user_id, entry_id, fields, active, created_at, updated_at)
            values (${tenantId}, ${userId}, ${event.data.entryId}, ${fields}::jsonb, true, ${at}::timestamptz, ${at}::timestamptz)
            on conflict (tenant_id, entry_id) do nothing`.execute(trx);
          continue;
        }
        case 'ExperienceDeactivated':
          await sql`update ${experience} set active = false, updated_at = ${at}::timestamptz
            where tenant_id = ${tenantId} and entry_id = ${event.data.entryId}`.execute(trx);
          continue;
        case 'UserErased': {
          const user = sql`tenant_id = ${tenantId} and user_id = ${userId}`;
          await sql`update ${profiles} set fields = ${erasedObject('fields')}, updated_at = ${at}::timestamptz where ${user}`.execute(
            trx,
          );
          await sql`update ${contacts} set value = '"[erased]"'::jsonb,
              label = case when jsonb_typeof(label) = 'null' then label else '"[erased]"'::jsonb end,
              updated_at = ${at}::timestamptz where ${user}`.execute(trx);
          await sql`update ${experience} set fields = ${erasedObject('fields')},
              updated_at = ${at}::timestamptz where ${user}`.execute(trx);
          continue;
        }
        default:
          continue;
      }
    }
  },
};
