/**
 * npm run projections -- <command>
 *
 *   status                    each projection's checkpoint and lag
 *   rebuild <name>... | --all rebuild into shadow tables while the live ones serve, then swap them in
 *   run [--batch-size N]      run the projections only, until stopped (the crash test kills this one)
 *
 * Configured by the same environment as the ledger (DATABASE_URL, DATABASE_SCHEMA, DATA_DIR, EVENT_STORE, ...).
 * Rebuilding never publishes or mails anything: projections only write their tables.
 */
import { configuredDatabase } from '../infrastructure/database/configured.js';
import { SingleBar } from 'cli-progress';
import { ConfigError, loadConfig } from '../infrastructure/config/config.js';
import { openDatabase } from '../infrastructure/database/database.js';
import { migrateToLatest } from '../infrastructure/database/migrate.js';
import { configuredEventStore } from '../infrastructure/event-store/configured.js';
import type { EventStore } from '../infrastructure/event-store/types.js';
import { createLogger } from '../infrastructure/logging/logger.js';
import { PROJECTIONS, projectionNamed } from './catalog.js';
import { rebuildProjections } from './rebuild.js';
import { ProjectionRunner } from './runner.js';
import { checkpointName, type AnyProjection } from './projection.js';
import { readCheckpoint } from '../infrastructure/checkpoints/checkpoints.js';

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
  const logger = createLogger({
    level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL,
    format: config.LOG_FORMAT,
  });
  const database = await openDatabase(
    configuredDatabase(config, { poolSize: 4, applicationName: 'ledger-projections-cli' }),
  );
  const eventStore: EventStore = configuredEventStore(config, database);
  try {
    await migrateToLatest(database);
    switch (command) {
      case 'status': {
        for (const projection of PROJECTIONS) {
          const checkpoint = await readCheckpoint(database.db, checkpointName(projection));
          const runner = new ProjectionRunner({ eventStore, database, projection, logger });
          Object.assign(runner, { position: checkpoint });
          const lag = checkpoint ? await runner.lag() : null;
          console.log(
            `${projection.name.padEnd(16)} v${projection.version}  ${checkpoint ? `at ${checkpoint}  lag ${lag!.events} events, ${lag!.seconds.toFixed(1)} s` : 'never run'}`,
          );
        }
        return 0;
      }
      case 'rebuild': {
        const chosen: AnyProjection[] = args.includes('--all')
          ? [...PROJECTIONS]
          : args.map((name) => projectionNamed(name) ?? unknown(name));
        if (chosen.length === 0) return usage();
        await rebuildWithProgress(chosen, eventStore, database, logger);
        return 0;
      }
      case 'run': {
        const sizeAt = args.indexOf('--batch-size');
        const batchSize = sizeAt >= 0 ? Number(args[sizeAt + 1]) : undefined;
        const runners = PROJECTIONS.map(
          (projection) => new ProjectionRunner({ eventStore, database, projection, logger, batchSize }),
        );
        for (const runner of runners) await runner.start();
        console.log(`running ${runners.length} projections; Ctrl-C to stop`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        for (const runner of runners) await runner.stop();
        return 0;
      }
      default:
        return usage();
    }
  } finally {
    await eventStore.close();
    await database.close();
  }
}

/** Rebuilds in one pass over the log, with a progress bar (events per second, ETA), then a line per projection. */
async function rebuildWithProgress(
  projections: AnyProjection[],
  eventStore: EventStore,
  database: Awaited<ReturnType<typeof openDatabase>>,
  logger: ReturnType<typeof createLogger>,
) {
  const names = projections.map((p) => p.name).join(', ');
  const bar = new SingleBar({
    format: `rebuilding [{bar}] {percentage}% | {value}/{total} events | {speed} events/s | ETA {eta_formatted}`,
    noTTYOutput: true,
    notTTYSchedule: 2000,
    hideCursor: true,
  });
  console.log(`Rebuilding ${names} into shadow tables; the live tables keep serving until each is swapped in.`);
  const started = performance.now();
  bar.start(1, 0, { speed: 0 });
  const results = await rebuildProjections({
    projections,
    eventStore,
    database,
    logger,
    onProgress: ({ applied, total }) => {
      bar.setTotal(Math.max(total ?? applied, 1));
      bar.update(applied, { speed: Math.round(applied / Math.max((performance.now() - started) / 1000, 0.001)) });
    },
  });
  bar.update(Math.max(results[results.length - 1]?.applied ?? 0, 1));
  bar.stop();
  const seconds = (performance.now() - started) / 1000;
  const applied = results[results.length - 1]?.applied ?? 0;
  console.log(
    `${applied} events in ${seconds.toFixed(1)} s (${Math.round(applied / Math.max(seconds, 0.001))} events/s)`,
  );
  for (const result of results) console.log(`${result.projection}: swapped in at ${result.position}`);
}

function unknown(name: string): never {
  console.error(`No projection named ${name}. Known: ${PROJECTIONS.map((p) => p.name).join(', ')}`);
  process.exit(2);
}

function usage(): number {
  console.error('usage: npm run projections -- status | rebuild <name>... | rebuild --all | run');
  return 2;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`projections: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
}
