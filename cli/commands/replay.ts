import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { sql, type Transaction } from 'kysely';
import { organizationDecider, organizationStream } from '../../domain/accounts/organization.js';
import { CommandHandler } from '../../command-api/http/command-handler.js';
import type { ReadModels } from '../../projections/read-models/tables.js';
import { SUMMARY_PROJECTIONS, summaryAt } from '../../query-api/msp/summary.js';
import { atMoment, parseAsOf } from '../../query-api/point-in-time/replay.js';
import { action } from '../action.js';
import { withResources } from '../open.js';
import { CliError } from '../output.js';

/** The read models exported beside the MSP summary, each replayed by SUMMARY_PROJECTIONS. */
const TABLES = ['clients', 'policies', 'policy_versions', 'evidence', 'violations', 'assessments'] as const;

/**
 * A tenant's state as of a moment, as JSON: the point-in-time code of the query API (query-api/point-in-time)
 * replays the tenant's log up to then into temporary tables, and the MSP summary (GET /msp/summary?asOf) and the
 * rows of clients, policies, their versions, evidence, violations and assessments are read from them. Sealed
 * personal data is opened (or reads as erased).
 */
export function replayCommand(program: Command): void {
  program
    .command('replay')
    .description("export a tenant's state as of a moment (an ISO 8601 time or a log position) as JSON")
    .requiredOption('--as-of <moment>', 'an ISO 8601 time, or a log position')
    .requiredOption('--tenant <id>', 'the tenant')
    .option('--out <file>', 'write the export to this file instead of stdout')
    .action(
      action(async ({ environment, out }, options: { asOf: string; tenant: string; out?: string }) => {
        let asOf;
        try {
          asOf = parseAsOf(options.asOf, '--as-of');
        } catch (error) {
          throw new CliError(`${(error as Error).message}: give an ISO 8601 time or a log position`, 2);
        }
        const exported = await withResources(environment, async (resources) => {
          const handler = new CommandHandler(resources.eventStore, resources.vault);
          const organization = await handler.load({ decider: organizationDecider }, organizationStream(options.tenant));
          if (!organization.state.exists) throw new CliError(`No tenant ${options.tenant}`);
          const state = await atMoment(
            resources.database,
            resources.eventStore,
            { tenantId: options.tenant, asOf, projections: SUMMARY_PROJECTIONS },
            async (trx: Transaction<ReadModels>, moment) => {
              const tables: Record<string, unknown[]> = {};
              for (const table of TABLES)
                tables[table] = (await sql`select * from ${sql.id(table)} order by 1`.execute(trx)).rows;
              return { moment, summary: await summaryAt(trx, moment.at, null), tables };
            },
          );
          return {
            tenantId: options.tenant,
            organization: organization.state.name ?? null,
            asOf: state.moment.at,
            position: state.moment.position,
            eventsReplayed: state.moment.events,
            exportedAt: new Date().toISOString(),
            summary: state.summary,
            ...(await resources.vault.reveal(state.tables)),
          };
        });
        const text = `${JSON.stringify(exported, null, 2)}\n`;
        if (options.out) {
          writeFileSync(options.out, text, { mode: 0o600 });
          if (out.json) out.result({ file: options.out, asOf: exported.asOf, eventsReplayed: exported.eventsReplayed });
          else
            out.line(
              `${options.tenant} as of ${exported.asOf}: ${exported.eventsReplayed} events replayed, written to ${options.out}`,
            );
        } else process.stdout.write(text);
      }),
    );
}
