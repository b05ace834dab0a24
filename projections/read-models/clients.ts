import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import { CLIENT_STATUSES } from '../../domain/clients/client.js';
import { Id, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import type { ClientEvent, ClientProfile } from '../../domain/clients/client.js';
import { aggregateIdOf, type Projection, type RecordedOf } from '../projection.js';

/** The read model's table: one row per client company. */
export interface ClientsTable {
  tenant_id: string;
  client_id: string;
  name: string;
  industry: string;
  size: string;
  frameworks: string[];
  status: (typeof CLIENT_STATUSES)[number];
  created_at: Date;
  updated_at: Date;
  archived_at: Date | null;
}

export interface ClientsTables {
  clients: ClientsTable;
}

/** A client as the API shows it. */
export const Client = z
  .object({
    clientId: Id,
    name: z.string(),
    industry: z.string(),
    size: z.string(),
    frameworks: z.array(z.string()),
    status: z.enum(CLIENT_STATUSES),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    archivedAt: Timestamp.nullable().describe('When it was archived; null while active'),
  })
  .meta({ id: 'Client' });

export function clientOf(row: Selectable<ClientsTable>): z.output<typeof Client> {
  return {
    clientId: row.client_id,
    name: row.name,
    industry: row.industry,
    size: row.size,
    frameworks: row.frameworks,
    status: row.status,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    archivedAt: row.archived_at ? new Date(row.archived_at).toISOString() : null,
  };
}

interface Row {
  tenantId: string;
  clientId: string;
  /** Registered within this batch: the whole row is known. */
  registered: boolean;
  patch: Partial<ClientProfile> & {
    status?: 'active' | 'archived';
    createdAt?: string;
    updatedAt?: string;
    archivedAt?: string;
  };
}

/** Folds a batch into one change per client, in event order. */
function changes(events: readonly RecordedOf<ClientEvent>[]): Row[] {
  const rows = new Map<string, Row>();
  for (const event of events) {
    const key = event.streamId;
    const row = rows.get(key) ?? {
      tenantId: event.metadata.tenantId,
      clientId: aggregateIdOf(event.streamId),
      registered: false,
      patch: {},
    };
    rows.set(key, row);
    const at = event.metadata.recordedAt;
    const { type, data } = event;
    if (type === 'ClientRegistered') {
      const { clientId: _id, ...profile } = data;
      row.registered = true;
      row.patch = { ...profile, frameworks: profile.frameworks ?? [], status: 'active', createdAt: at, updatedAt: at };
    } else if (type === 'ClientUpdated') row.patch = { ...row.patch, ...data, updatedAt: at };
    else row.patch = { ...row.patch, status: 'archived', updatedAt: at, archivedAt: at };
  }
  return [...rows.values()];
}

/** The MSP's client companies: GET /clients. */
export const clientsProjection: Projection<ClientEvent> = {
  name: 'clients',
  version: 2,
  canHandle: ['ClientRegistered', 'ClientUpdated', 'ClientArchived'],
  tables: ['clients'],
  async apply(trx, events, table) {
    const clients = sql.table(table('clients'));
    const all = changes(events);
    const inserts = all.filter((row) => row.registered);
    for (let i = 0; i < inserts.length; i += 1000) {
      await sql`
        insert into ${clients} (tenant_id, client_id, name, industry, size, frameworks, status, created_at, updated_at, archived_at)
        values ${sql.join(
          inserts
            .slice(i, i + 1000)
            .map(
              ({ tenantId, clientId, patch: p }) =>
                sql`(${tenantId}, ${clientId}, ${p.name}, ${p.industry}, ${p.size}, ${p.frameworks ?? []}::text[], ${p.status}, ${p.createdAt}::timestamptz, ${p.updatedAt}::timestamptz, ${p.archivedAt ?? null}::timestamptz)`,
            ),
        )}
        on conflict (tenant_id, client_id) do nothing`.execute(trx);
    }
    for (const { tenantId, clientId, patch: p } of all.filter((row) => !row.registered)) {
      await sql`
        update ${clients} set
          name = coalesce(${p.name ?? null}, name),
          industry = coalesce(${p.industry ?? null}, industry),
          size = coalesce(${p.size ?? null}, size),
          frameworks = coalesce(${p.frameworks ?? null}::text[], frameworks),
          status = coalesce(${p.status ?? null}, status),
          archived_at = coalesce(${p.archivedAt ?? null}::timestamptz, archived_at),
          updated_at = ${p.updatedAt}::timestamptz
        where tenant_id = ${tenantId} and client_id = ${clientId}`.execute(trx);
    }
  },
};
