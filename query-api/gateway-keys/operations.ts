import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import type { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import { assertClientAccess, authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { Id, page, Paging } from '../../infrastructure/http/contract/schemas.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import {
  GatewayKey,
  gatewayKeyOf,
  gatewayKeysProjection,
  type GatewayKeysTable,
} from '../../projections/read-models/gateway-keys.js';
import { minPosition } from '../http/min-position.js';
import { listMeta, pageOf, readModels, visibleClient, type ReadDeps } from '../http/reads.js';

/** GET /clients/{id}/gateway-keys: a client's keys, newest first, with their last use; never a key itself. */
export function gatewayKeyReads(deps: ReadDeps & { waitMs: number; vault: PersonalDataVault }) {
  const caughtUp = minPosition(deps.database, deps.eventStore, [gatewayKeysProjection], deps.waitMs);
  const shown = async (row: Selectable<GatewayKeysTable>) =>
    gatewayKeyOf(row, row.user_ref ? await deps.vault.open(row.user_ref) : null);
  return [
    operation({
      operationId: 'listGatewayKeys',
      method: 'get',
      path: '/clients/{id}/gateway-keys',
      tags: ['gateway'],
      summary: "A client's gateway keys, newest first: their names, prefixes, bounds, status and last use",
      description:
        "The keys themselves are shown only when issued, and kept only as hashes. lastUsedAt is the time of the newest request recorded through a key. A client's compliance people see their own client's keys.",
      access: { permission: 'gateway-key:read' },
      headers: ['X-Min-Position'],
      params: z.object({ id: Id }),
      query: Paging.extend({ status: z.enum(['active', 'revoked']).optional() }),
      answers: {
        200: { description: 'Gateway keys', schema: page(GatewayKey) },
        404: { description: 'No such client in your tenant', problem: true },
      },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        const clientId = req.params.id;
        assertClientAccess(actor, clientId);
        await visibleClient(deps.eventStore, actor, clientId);
        const paging = pageOf(req.query);
        const { status } = req.query;
        const rows = await asTenant(readModels(deps.database), actor, (trx) =>
          trx
            .selectFrom('gateway_keys')
            .selectAll()
            .select(sql<string>`count(*) over ()`.as('total'))
            .where('client_id', '=', clientId)
            .$if(status !== undefined, (query) => query.where('status', '=', status!))
            .orderBy('issued_at', 'desc')
            .orderBy('key_id')
            .limit(paging.size)
            .offset(paging.offset)
            .execute(),
        );
        // Opened after the read, outside its transaction: the vault reads keys with a connection of its own.
        res.json({
          data: await Promise.all(rows.map(shown)),
          meta: listMeta(paging, Number(rows[0]?.total ?? 0)),
        });
      },
    }),
  ];
}
