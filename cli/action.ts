import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { CommandContext } from '../command-api/http/command-handler.js';
import { SYSTEM_OPERATOR } from '../command-api/users/administration.js';
import { cliEnvironment, type CliEnvironment } from './open.js';
import { output, type Output } from './output.js';

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
    const code = await run({ environment: cliEnvironment(), out }, ...(args.slice(0, -1) as Args));
    process.exitCode = code ?? 0;
  };
}

/**
 * The context of a command the operator runs: recorded in each event's metadata as the system operator, with one
 * correlation id for everything this run writes.
 */
const correlationId = randomUUID();
export function operatorContext(tenantId: string): CommandContext {
  return { tenantId, actorId: SYSTEM_OPERATOR, correlationId };
}
