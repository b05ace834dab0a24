/**
 * `ledger`: the operator's command line (package.json bin, via bin/ledger-cli.js). Configured by the same environment
 * as the ledger itself; see README, "Operator's command line". One module per command in cli/commands/.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { DomainError } from '../domain/decider.js';
import { HttpProblem } from '../infrastructure/http/problem.js';
import { keysCommand } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { rebuildCommand } from './commands/rebuild.js';
import { replayCommand } from './commands/replay.js';
import { rolesCommand } from './commands/roles.js';
import { tenantsCommand } from './commands/tenants.js';
import { usersCommand } from './commands/users.js';
import { verifyCommand } from './commands/verify.js';
import { CliError } from './output.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export function program(): Command {
  const ledger = new Command('ledger')
    .description("Compliance Ledger's operator commands (configured like the ledger: DATABASE_URL, DATA_DIR, ...)")
    .version(version)
    .option('--json', 'print the result as JSON on stdout (no progress bar)')
    .showHelpAfterError()
    .exitOverride();
  for (const add of [
    migrateCommand,
    rebuildCommand,
    verifyCommand,
    replayCommand,
    tenantsCommand,
    usersCommand,
    rolesCommand,
    keysCommand,
  ])
    add(ledger);
  return ledger;
}

/** What a failure says, in one line: the API's problems and the domain's refusals read as they do over HTTP. */
function messageOf(error: unknown): { message: string; code: number } {
  if (error instanceof CliError) return { message: error.message, code: error.exitCode };
  if (error instanceof HttpProblem) return { message: `${error.title}: ${error.message}`, code: 1 };
  if (error instanceof DomainError)
    return { message: error.field ? `${error.message} (${error.field})` : error.message, code: 1 };
  const { message, stack } = error as Error;
  return { message: process.env.LEDGER_CLI_DEBUG ? (stack ?? message) : (message ?? String(error)), code: 1 };
}

// The answer is what this command writes to stdout itself: anything else the shared code prints (the embedded
// default's "✉ link" lines, say) goes to stderr, so that --json output stays one parseable document.
console.log = (...args: unknown[]) => console.error(...args);

try {
  await program().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version are exit code 0; usage errors have been explained by commander already.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    const { message, code } = messageOf(error);
    console.error(`ledger: ${message}`);
    process.exitCode = code;
  }
}
