/**
 * Sustained requests per second and p99 latency of two commands, POST /policies/generate and evidence upload, with
 * 32 concurrent clients, on the embedded default (PGlite) and on PostgreSQL, beside a bare Express JSON echo route
 * measured in the same run.
 *
 *   npm run bench -- commands          (DATABASE_URL picks the server; BENCH_SECONDS=10 to measure longer)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { startLedger } from '../bin/ledger.js';
import { loadConfig } from '../infrastructure/config/config.js';
import { openDatabase } from '../infrastructure/database/database.js';
import { createLogger } from '../infrastructure/logging/logger.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const CLIENTS = 32;
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** `clients` loops sending requests for the measuring time, after a short warm-up. */
async function load(send: () => Promise<Response>): Promise<Figures> {
  const run = async (until: number, latencies: number[] | null): Promise<number> => {
    let errors = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
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

async function echoBaseline(): Promise<Figures> {
  const app = express();
  app.use(express.json());
  app.post('/echo', (req, res) => void res.json({ data: req.body, meta: {} }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/echo`;
  const body = JSON.stringify({ hello: 'world', n: 42 });
  try {
    return await load(() => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

async function ledgerFigures(kind: 'embedded' | 'postgres'): Promise<Record<string, Figures>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-bench-'));
  const schema = `bench_${Date.now().toString(36)}`;
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ...(kind === 'postgres' ? { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema, DATABASE_POOL_SIZE: '20' } : {}),
  });
  const ledger = await startLedger(config, createLogger({ level: 'silent', format: 'json' }));
  const api = `${ledger.url}/api/v1`;
  const post = (path: string, body: unknown, token?: string) =>
    fetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  try {
    const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
    const password = 'benchmark password';
    await post('/auth/register', { email, password, name: 'Bench', organizationName: 'Bench MSP' });
    const mailDir = join(dataDir, 'mail');
    const mail = readFileSync(join(mailDir, readdirSync(mailDir)[0]!), 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '=');
    await post('/auth/verify-email', { token: /token=([A-Za-z0-9._-]+)/.exec(mail)![1] });
    const { data: tokens } = (await (await post('/auth/login', { email, password })).json()) as { data: { accessToken: string } };
    const token = tokens.accessToken;
    const { data: client } = (await (await post('/clients', { name: 'Client', industry: 'healthcare', size: '11-50' }, token)).json()) as { data: { clientId: string } };

    const generate = JSON.stringify({
      clientId: client.clientId,
      frameworkId: 'hipaa',
      companyContext: { name: 'Clinic', industry: 'healthcare', size: '11-50', dataTypes: ['phi', 'pii'], aiTools: ['ChatGPT Enterprise'], jurisdictions: ['US'] },
    });
    const policies = await load(() => fetch(`${api}/policies/generate`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: generate }));

    const file = Buffer.from('access review\n'.repeat(600)); // about 8 KB of text
    const uploads = await load(() => {
      const form = new FormData();
      form.append('clientId', client.clientId);
      form.append('title', 'Access review');
      form.append('validFrom', '2026-01-01');
      form.append('expiresAt', '2027-01-01');
      form.append('file', new Blob([file]), 'review.txt');
      return fetch(`${api}/evidence/upload`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    });
    return { 'POST /policies/generate': policies, 'POST /evidence/upload (8 KB)': uploads };
  } finally {
    await ledger.close();
    if (kind === 'postgres') {
      const admin = await openDatabase({ kind: 'postgres', url: databaseUrl, poolSize: 1 });
      await admin.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await admin.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  console.log(`${CLIENTS} concurrent clients, ${seconds} s per case, after 1 s of warm-up`);
  const baseline = await echoBaseline();
  const line = (store: string, route: string, f: Figures) =>
    console.log(
      `${store.padEnd(9)} ${route.padEnd(30)} ${f.rps.toFixed(0).padStart(7)} req/s  p50 ${f.p50.toFixed(1).padStart(6)} ms  p99 ${f.p99.toFixed(1).padStart(6)} ms  ` +
        `${(f.rps / baseline.rps).toFixed(3)} of echo${f.errors ? `  (${f.errors} errors)` : ''}`,
    );
  line('baseline', 'POST /echo (bare Express)', baseline);
  for (const kind of ['embedded', 'postgres'] as const) {
    for (const [route, figures] of Object.entries(await ledgerFigures(kind))) line(kind, route, figures);
  }
}
