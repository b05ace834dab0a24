import { spawn } from 'node:child_process';
import type { TestLedger } from './ledger.js';
import { services } from './services.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a test ledger runs with, as an operator would export it for `ledger` on the same deployment. */
export function ledgerEnv(ledger: TestLedger): Record<string, string> {
  const { config } = ledger;
  return {
    PATH: process.env.PATH ?? '',
    DATA_DIR: ledger.dataDir,
    DATABASE_URL: services.databaseUrl!,
    DATABASE_SCHEMA: config.DATABASE_SCHEMA,
    REDIS_URL: services.redisUrl!,
    REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
    MASTER_KEY: config.MASTER_KEY?.toString('base64') ?? '',
    JWT_SECRET: config.JWT_SECRET ?? '',
    PUBLIC_URL: ledger.url,
    LOG_LEVEL: 'warn',
  };
}

/** Runs the real `ledger` command (the package's bin) as a child process, and waits for it to end. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/ledger-cli.js', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `ledger --json …`, expects exit code 0 and answers the parsed JSON. */
export async function cliJson<T = Record<string, unknown>>(args: string[], env: Record<string, string>): Promise<T> {
  const run = await runCli(['--json', ...args], env);
  if (run.code !== 0) throw new Error(`ledger ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}
