import type { Command } from 'commander';
import { PROJECTIONS, projectionNamed } from '../../projections/catalog.js';
import type { AnyProjection } from '../../projections/projection.js';
import { rebuildProjections } from '../../projections/rebuild.js';
import { action } from '../action.js';
import { withStores } from '../open.js';
import { CliError } from '../output.js';

/**
 * Rebuilds projections from the log into shadow tables while the live ones serve, then swaps each in
 * (projections/rebuild.ts). Rebuilding sends nothing anywhere: projections only write their tables.
 */
export function rebuildCommand(program: Command): void {
  program
    .command('rebuild')
    .description('rebuild projections from the event log (shadow tables, swapped in when complete)')
    .argument('[projection...]', `projections to rebuild: ${PROJECTIONS.map((p) => p.name).join(', ')}`)
    .option('--all', 'rebuild every projection')
    .action(
      action(async ({ environment, out }, names: string[], options: { all?: boolean }) => {
        if (options.all && names.length > 0) throw new CliError('Name projections or give --all, not both', 2);
        const chosen: AnyProjection[] = options.all
          ? [...PROJECTIONS]
          : names.map(
              (name) =>
                projectionNamed(name) ??
                fail(`No projection named ${name}. Known: ${PROJECTIONS.map((p) => p.name).join(', ')}`),
            );
        if (chosen.length === 0) throw new CliError('Name the projections to rebuild, or give --all', 2);
        out.line(
          `Rebuilding ${chosen.map((p) => p.name).join(', ')} into shadow tables; the live tables keep serving.`,
        );
        const started = performance.now();
        const results = await withStores(
          environment,
          async ({ database, eventStore }) => {
            const bar = out.progress('rebuilding', 'events');
            try {
              return await rebuildProjections({
                projections: chosen,
                eventStore,
                database,
                logger: environment.logger,
                onProgress: ({ applied, total }) => bar.update(applied, total ?? applied),
              });
            } finally {
              bar.stop();
            }
          },
          { applicationName: 'ledger-cli-rebuild', poolSize: 4 },
        );
        const seconds = (performance.now() - started) / 1000;
        const applied = results[results.length - 1]?.applied ?? 0;
        out.line(`${applied} events in ${seconds.toFixed(1)} s`);
        for (const result of results) out.line(`${result.projection}: swapped in at ${result.position}`);
        out.result({ events: applied, seconds: Number(seconds.toFixed(3)), projections: results });
      }),
    );
}

function fail(message: string): never {
  throw new CliError(message, 2);
}
