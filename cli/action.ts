import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { CommandContext } from '../command-api/http/command-handler.js';
import { SYSTEM_OPERATOR } from '../command-api/users/administration.js';
import { cliEnvironment, type CliEnvironment } from './open.js';
import { CliError, output, type Output } from './output.js';

/** What every command's action gets: the environment it is configured by, and how to answer. */
export interface Invocation {
  environment: CliEnvironment;
  out: Output;
}

/**
 * A command's action, with the environment loaded and `--json` (a global option) applied. The exit code is what
 * the action answers (0 by default); failures are reported by main.ts.
 */
export function action<Args extends unknown[]>(
  run: (invocation: Invocation, ...args: Args) => Promise<number | void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const out = output(command.optsWithGlobals<{ json?: boolean }>());
    const environment = cliEnvironment();
    requireLedgerData(environment, command);
    const code = await run({ environment, out }, ...(args.slice(0, -1) as Args));
    process.exitCode = code ?? 0;
  };
}

/** Commands that may make a ledger where there is none yet: the others refuse a DATA_DIR that holds none. */
const MAKES_A_LEDGER = new Set(['migrate', 'create', 'roles']);

/**
 * On the embedded default, a DATA_DIR without the ledger's database is an operator's typo far more often than a wish
 * for a new, empty ledger: refused, naming it, rather than answering about an empty log made on the spot.
 */
function requireLedgerData({ config, dataDir }: CliEnvironment, command: Command): void {
  if (config.DATABASE_URL || MAKES_A_LEDGER.has(command.name())) return;
  if (!existsSync(join(dataDir, 'postgres')) && !existsSync(join(dataDir, 'pglite')))
    throw new CliError(
      `DATA_DIR=${dataDir} holds no ledger: set DATA_DIR to the ledger's, or start the ledger once (npm start) or run ledger migrate to make one there`,
      1,
    );
}

/**
 * The context of a command the operator runs: recorded in each event's metadata as the system operator, with one
 * correlation id for everything this run writes.
 */
const correlationId = randomUUID();
export function operatorContext(tenantId: string): CommandContext {
  return { tenantId, actorId: SYSTEM_OPERATOR, correlationId };
}
