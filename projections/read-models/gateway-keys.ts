import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import type { GatewayKeyEvent } from '../../domain/gateway/gateway-key.js';
import type { GatewayRequestEvent } from '../../domain/gateway/gateway-request.js';
import type { SealedValue } from '../../infrastructure/crypto-shredding/personal-data.js';
import { Id, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import type { Projection } from '../projection.js';

/** One row per gateway key: what the list shows. Never the key, nor even its hash (the key's stream has that). */
export interface GatewayKeysTable {
  tenant_id: string;
  key_id: string;
  client_id: string;
  name: string;
  key_prefix: string;
  /** The user reference the key is bound to, sealed as in the event (read back through the vault). */
  user_ref: SealedValue | null;
  ai_service_ids: string[] | null;
  requests_per_minute: number | null;
  status: 'active' | 'revoked';
  issued_by: string;
  issued_at: Date;
  revoked_at: Date | null;
  /** The time of the newest request recorded through the key. */
  last_used_at: Date | null;
}

export interface GatewayKeysTables {
  gateway_keys: GatewayKeysTable;
}

/** A gateway key as the API lists it: never the key itself, which is shown once when issued. */
export const GatewayKey = z
  .object({
    keyId: Id,
    clientId: Id,
    name: z.string(),
    keyPrefix: z.string().describe("The key's first and last characters, to tell keys apart"),
    userRef: z.string().nullable().describe('Who the key sends as; "[erased]" once erased, null when unbound'),
    aiServiceIds: z.array(Id).nullable().describe('The services the key may reach; null: every approved one'),
    requestsPerMinute: z.int().nullable().describe('null: the configured default'),
    status: z.enum(['active', 'revoked']),
    issuedAt: Timestamp,
    revokedAt: Timestamp.nullable(),
    lastUsedAt: Timestamp.nullable().describe('The newest request recorded through the key; null when never used'),
  })
  .meta({ id: 'GatewayKey' });

const iso = (time: Date | null): string | null => (time === null ? null : new Date(time).toISOString());

/** A row as the API shows it; `userRef` is the row's sealed user reference, already revealed by the caller. */
export function gatewayKeyOf(row: Selectable<GatewayKeysTable>, userRef: string | null): z.output<typeof GatewayKey> {
  return {
    keyId: row.key_id,
    clientId: row.client_id,
    name: row.name,
    keyPrefix: row.key_prefix,
    userRef,
    aiServiceIds: row.ai_service_ids,
    requestsPerMinute: row.requests_per_minute,
    status: row.status,
    issuedAt: new Date(row.issued_at).toISOString(),
    revokedAt: iso(row.revoked_at),
    lastUsedAt: iso(row.last_used_at),
  };
}

/** Each client's gateway keys, their status and their last use (from the requests recorded through them). */
export const gatewayKeysProjection: Projection<GatewayKeyEvent | GatewayRequestEvent> = {
  name: 'gateway-keys',
  version: 1,
  canHandle: ['GatewayKeyIssued', 'GatewayKeyRevoked', 'GatewayRequestRecorded'],
  tables: ['gateway_keys'],
  async apply(trx, events, table) {
    const keys = sql.table(table('gateway_keys'));
    for (const event of events) {
      const tenantId = event.metadata.tenantId;
      const at = event.metadata.recordedAt;
      switch (event.type) {
        case 'GatewayKeyIssued': {
          const k = event.data;
          await sql`
            insert into ${keys} (tenant_id, key_id, client_id, name, key_prefix, user_ref, ai_service_ids, requests_per_minute, status, issued_by, issued_at)
            values (${tenantId}, ${k.keyId}, ${k.clientId}, ${k.name}, ${k.keyPrefix}, ${k.userRef === null ? null : JSON.stringify(k.userRef)}::jsonb,
              ${k.aiServiceIds}::text[], ${k.requestsPerMinute}, 'active', ${k.issuedBy}, ${at})
            on conflict (tenant_id, key_id) do nothing`.execute(trx);
          continue;
        }
        case 'GatewayKeyRevoked':
          await sql`update ${keys} set status = 'revoked', revoked_at = ${at}
            where tenant_id = ${tenantId} and key_id = ${event.data.keyId}`.execute(trx);
          continue;
        case 'GatewayRequestRecorded':
          // Requests of the ledger's own chat come with no key.
          if (event.data.keyId === null) continue;
          await sql`update ${keys} set last_used_at = greatest(last_used_at, ${at}::timestamptz)
            where tenant_id = ${tenantId} and key_id = ${event.data.keyId}`.execute(trx);
          continue;
      }
    }
  },
};
