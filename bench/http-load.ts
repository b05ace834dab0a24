/** Shared by the HTTP benchmarks: a closed-loop load generator, a bare Express baseline, and a ledger to measure. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { startLedger } from '../bin/ledger.js';
import { loadConfig, type Config } from '../infrastructure/config/config.js';
import { openDatabase } from '../infrastructure/database/database.js';
import { createLogger } from '../infrastructure/logging/logger.js';

export const seconds = Number(process.env.BENCH_SECONDS ?? 5);
export const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** `clients` loops sending requests for the measuring time, after a second of warm-up. */
export async function load(clients: number, send: () => Promise<Response>): Promise<Figures> {
  const run = async (until: number, latencies: number[] | null): Promise<number> => {
    let errors = 0;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < until) {
          const started = performance.now();
          const response = await send();
          await response.arrayBuffer();
          if (response.status >= 400) errors++;
          latencies?.push(performance.now() - started);
        }
      }),
    );
    return errors;
  };
  await run(performance.now() + 1_000, null);
  const latencies: number[] = [];
  const started = performance.now();
  const errors = await run(started + seconds * 1000, latencies);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), errors };
}

/** A bare Express route that parses JSON and echoes it: what any route costs before it does anything. */
export async function echoBaseline(clients: number, body: string): Promise<Figures> {
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.post('/echo', (req, res) => void res.json({ data: { length: JSON.stringify(req.body).length }, meta: {} }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/echo`;
  try {
    return await load(clients, () =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
    );
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

export interface BenchLedger {
  api: string;
  /** Where the ledger listens. */
  url: string;
  config: Config;
  /** The PostgreSQL schema it runs in (postgres kind). */
  schema: string;
  token: string;
  post(path: string, body: unknown): Promise<Response>;
  close(): Promise<void>;
}

/** A ledger on the embedded default, on PGlite, or on a PostgreSQL server (its own schema), with a signed-up MSP admin. */
export async function benchLedger(
  kind: 'embedded' | 'pglite' | 'postgres',
  env: Record<string, string> = {},
): Promise<BenchLedger> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-bench-'));
  const schema = `bench_${Date.now().toString(36)}`;
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ...(kind === 'postgres' ? { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema, DATABASE_POOL_SIZE: '20' } : {}),
    // The embedded default (its own PostgreSQL under DATA_DIR) and the PGlite it replaced, side by side.
    ...(kind === 'embedded' ? { DATABASE_POOL_SIZE: '20' } : {}),
    ...(kind === 'pglite' ? { EMBEDDED_DATABASE: 'pglite' } : {}),
    ...env,
  });
  const ledger = await startLedger(config, createLogger({ level: 'silent', format: 'json' }));
  const api = `${ledger.url}/api/v1`;
  let token = '';
  const post = (path: string, body: unknown) =>
    fetch(`${api}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const close = async () => {
    await ledger.close();
    if (kind === 'postgres') {
      const admin = await openDatabase({ kind: 'postgres', url: databaseUrl, poolSize: 1 });
      await admin.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await admin.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
    const password = 'benchmark password';
    await post('/auth/register', { email, password, name: 'Bench', organizationName: 'Bench MSP' });
    const mailDir = join(dataDir, 'mail');
    const mail = readFileSync(join(mailDir, readdirSync(mailDir)[0]!), 'utf8')
      .replace(/=\r?\n/g, '')
      .replace(/=3D/g, '=');
    await post('/auth/verify-email', { token: /token=([A-Za-z0-9._-]+)/.exec(mail)![1] });
    token = ((await (await post('/auth/login', { email, password })).json()) as { data: { accessToken: string } }).data
      .accessToken;
    return { api, url: ledger.url, config, schema, token, post, close };
  } catch (error) {
    await close();
    throw error;
  }
}
