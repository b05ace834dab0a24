import { sql } from 'kysely';
import { z } from 'zod';
import { ERASED, isSealed, type PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import { authOf, type Authenticated } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { page, Paging } from '../../infrastructure/http/contract/schemas.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import {
  AUDIT_OUTCOMES,
  AuditEntry,
  auditEntryOf,
  auditLogProjection,
  type AuditLogTable,
} from '../../projections/read-models/audit-log.js';
import { minPosition } from '../http/min-position.js';
import { during, listMeta, pageOf, readModels, timeRange, type ReadDeps } from '../http/reads.js';
import { AUDIT_COLUMNS, csvLine } from './csv.js';

const read = { permission: 'audit:read' } as const;
/** Rows read at a time by the export, which never holds the log whole in memory. */
const EXPORT_BATCH = 1000;

/** The audit log is the MSP's: a client-scoped role with audit:read still does not read it. */
function assertMsp(actor: Authenticated): void {
  if (actor.clientId !== null)
    throw new HttpProblem(
      403,
      'forbidden',
      'Forbidden',
      "The audit log is the MSP's: client-scoped roles do not read it.",
    );
}

/**
 * The names of the users among `rows`' actors, opened from their sealed form: "[erased]" for people erased since
 * (crypto-shredding), none for actors that are no user (system workers). A user's name is set when they register or
 * accept their invitation, before they can act, and never changes after: the name now is the name as of each event.
 */
async function actorNames(
  deps: ReadDeps & { vault: Pick<PersonalDataVault, 'open'> },
  actor: Authenticated,
  rows: ReadonlyArray<Pick<AuditLogTable, 'actor_id'>>,
): Promise<Map<string, string | null>> {
  const ids = [...new Set(rows.map((row) => row.actor_id))].filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  if (ids.length === 0) return new Map();
  const users = await asTenant(readModels(deps.database), actor, (trx) =>
    trx.selectFrom('users').select(['user_id', 'name', 'status']).where('user_id', 'in', ids).execute(),
  );
  // Opened after the read, outside its transaction: the vault reads keys with a connection of its own.
  const names = new Map<string, string | null>();
  for (const user of users) {
    const name = user.status === 'erased' ? ERASED : isSealed(user.name) ? await deps.vault.open(user.name) : user.name;
    names.set(user.user_id, name ?? null);
  }
  return names;
}

/** GET /audit and /audit/export: who did what, when, from where, and with what outcome. */
export function auditReads(deps: ReadDeps & { waitMs: number; vault: Pick<PersonalDataVault, 'open'> }) {
  const caughtUp = minPosition(deps.database, deps.eventStore, [auditLogProjection], deps.waitMs);
  return [
    operation({
      operationId: 'listAudit',
      method: 'get',
      path: '/audit',
      tags: ['audit'],
      summary:
        'Who did what, when, from where and with what outcome: one entry per recorded event and per refused command, newest first',
      description:
        'A refused command is an authenticated command answered with a 4xx by a permission, domain or concurrency rule (type CommandRefused): its entry says what was asked (method and path, never the body) and why it was refused. Requests refused by schema validation never became commands and are not listed.',
      access: read,
      headers: ['X-Min-Position'],
      query: Paging.extend(timeRange()).extend({
        actorId: z.string().optional(),
        type: z.string().optional().describe('event type'),
        outcome: z.enum(AUDIT_OUTCOMES).optional(),
      }),
      answers: { 200: { description: 'Audit entries', schema: page(AuditEntry) } },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        assertMsp(actor);
        const { actorId, type, outcome } = req.query;
        const paging = pageOf(req.query);
        const rows = await asTenant(readModels(deps.database), actor, (trx) => {
          let query = trx
            .selectFrom('audit_log')
            .selectAll()
            .select(sql<string>`count(*) over ()`.as('total'))
            .where(during('recorded_at', req.query));
          if (actorId) query = query.where('actor_id', '=', actorId);
          if (type) query = query.where('event_type', '=', type);
          if (outcome) query = query.where('outcome', '=', outcome);
          return query.orderBy('position', 'desc').limit(paging.size).offset(paging.offset).execute();
        });
        const names = await actorNames(deps, actor, rows);
        res.json({
          data: rows.map((row) => auditEntryOf(row, names.get(row.actor_id) ?? null)),
          meta: listMeta(paging, Number(rows[0]?.total ?? 0)),
        });
      },
    }),
    operation({
      operationId: 'exportAudit',
      method: 'get',
      path: '/audit/export',
      tags: ['audit'],
      summary: 'The audit log for a time range as CSV or JSON Lines, streamed in position order',
      description:
        'Each entry with the client it belongs to, the actor\'s name as of the event ("[erased]" for people erased since) and the full reason. In CSV, a field a spreadsheet could read as a formula gets a leading \'.',
      access: read,
      headers: ['X-Min-Position'],
      query: z.object(timeRange()).extend({ format: z.enum(['csv', 'jsonl']).default('csv') }),
      answers: {
        200: { description: 'The export', files: { 'text/csv': z.string(), 'application/x-ndjson': z.string() } },
      },
      before: [caughtUp],
      async handler(req, res) {
        const actor = authOf(res);
        assertMsp(actor);
        const { format } = req.query;
        res.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
        res.setHeader(
          'Content-Disposition',
          `attachment; filename="audit-${new Date().toISOString().slice(0, 10)}.${format}"`,
        );
        if (format === 'csv') res.write(`${AUDIT_COLUMNS.join(',')}\n`);
        // Keyset pages, written as they come: the log is never held whole in memory.
        let after = '';
        for (;;) {
          const rows = await asTenant(readModels(deps.database), actor, (trx) =>
            trx
              .selectFrom('audit_log')
              .selectAll()
              .where(during('recorded_at', req.query))
              .where('position', '>', after)
              .orderBy('position')
              .limit(EXPORT_BATCH)
              .execute(),
          );
          const names = await actorNames(deps, actor, rows);
          for (const row of rows) {
            const entry = auditEntryOf(row, names.get(row.actor_id) ?? null);
            const line = format === 'csv' ? csvLine(entry) : JSON.stringify(entry);
            if (!res.write(`${line}\n`)) await new Promise((resolve) => res.once('drain', resolve));
          }
          if (rows.length < EXPORT_BATCH) break;
          after = rows[rows.length - 1]!.position;
        }
        res.end();
      },
    }),
  ];
}
