/**
 * The embedded ledger, started exactly as a new user starts it: `npm start` in the project folder, stopped with
 * Ctrl-C (SIGINT to the process group).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alive } from '../support/processes.js';
import { openDatabase } from '../../infrastructure/database/database.js';
import { PostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.js';
import { freePort } from '../../scripts/kafka-broker.js';

const root = new URL('../..', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'ledger-embedded-'));

interface Started {
  process: ChildProcess;
  url: string;
  output: () => string;
  /** Resolves when the process and everything under it closed their output: npm's exit code, or its signal. */
  exited: Promise<number | string | null>;
}

/** Only what a user's shell would have: no service variables, so the ledger must stand on its own. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [
    'DATABASE_URL',
    'REDIS_URL',
    'KAFKA_BROKERS',
    'ESDB_URL',
    'EVENT_STORE',
    'MASTER_KEY',
    'PORT',
    'DATA_DIR',
    'NODE_ENV',
  ])
    delete env[name];
  return { ...env, LOG_FORMAT: 'json', ...extra };
}

function npmStart(env: NodeJS.ProcessEnv): Omit<Started, 'url'> {
  const child = spawn('npm', ['start'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('close', (code, signal) => resolve(code ?? signal)),
  );
  return { process: child, output: () => output, exited };
}

async function start(extra: Record<string, string> = {}): Promise<Started> {
  const port = await freePort();
  const started = npmStart(cleanEnv({ PORT: String(port), DATA_DIR: dataDir, ...extra }));
  const deadline = Date.now() + 120_000;
  while (!started.output().includes('is listening')) {
    if (Date.now() > deadline) throw new Error(`The ledger did not start:\n${started.output()}`);
    if (started.process.exitCode !== null) throw new Error(`The ledger exited:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { ...started, url: `http://127.0.0.1:${port}` };
}

/** Ctrl-C in a terminal: SIGINT to the whole foreground process group (npm and the ledger under it). */
async function ctrlC(started: Started): Promise<void> {
  process.kill(-started.process.pid!, 'SIGINT');
  // npm itself dies of the SIGINT, as it does in a terminal; what matters is that the ledger shut down cleanly.
  expect([0, 'SIGINT']).toContain(await started.exited);
  expect(started.output()).toContain('stopped cleanly');
  expect(started.output()).not.toMatch(/"level":(50|60)/);
}

const running: Started[] = [];
afterAll(() => {
  for (const started of running) {
    try {
      process.kill(-started.process.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

// Each case starts real processes (npm, tsx, PostgreSQL) once or twice: slow on a busy 2-core machine.
describe('npm start: the embedded ledger', { timeout: 180_000 }, () => {
  it('refuses to start on bad configuration, naming each bad variable', async () => {
    const started = npmStart(cleanEnv({ PORT: 'eighty', LOG_LEVEL: 'loud', DATA_DIR: dataDir }));
    running.push({ ...started, url: '' });
    expect(await started.exited).not.toBe(0);
    expect(started.output()).toMatch(/PORT: expected a port number/);
    expect(started.output()).toMatch(/LOG_LEVEL: expected fatal, error/);
    expect(started.output()).not.toContain('is listening');
  });

  let headAfterFirstRun = '';

  it('serves health, readiness, the OpenAPI document and the docs, and says where they are', async () => {
    const ledger = await start();
    running.push(ledger);
    expect(ledger.output()).toContain(`${ledger.url}/docs`);
    expect(ledger.output()).toContain(`${ledger.url}/openapi.json`);

    const health = await fetch(`${ledger.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });

    const ready = await fetch(`${ledger.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      checks: {
        database: { status: 'up', kind: 'postgres', embedded: true },
        eventStore: { status: 'up', adapter: 'postgres' },
      },
    });

    const openapi = (await (await fetch(`${ledger.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/health', '/ready']));

    const docs = await fetch(`${ledger.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger-ui/i);

    const missing = await fetch(`${ledger.url}/api/v1/no-such-route`, { headers: { 'X-Correlation-Id': 'trace-42' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(missing.headers.get('x-correlation-id')).toBe('trace-42');
    expect(await missing.json()).toMatchObject({ status: 404, title: 'Not found' });
    // The request is logged with its correlation id once the response has gone out.
    await expect.poll(() => ledger.output(), { timeout: 5_000 }).toContain('"correlationId":"trace-42"');

    await ctrlC(ledger);
  });

  it('keeps its data under DATA_DIR across restarts', async () => {
    // Between two runs, write an event straight into the embedded database the ledger uses.
    const database = await openDatabase({ kind: 'embedded', dataDir });
    const tenantId = randomUUID();
    const store = new PostgresEventStore(database);
    const written = await store.append(`${tenantId}/thing/1`, [
      { type: 'Happened', data: {}, metadata: { tenantId, actorId: 'test', correlationId: randomUUID() } },
    ]);
    await store.close();
    await database.close();
    const key = readFileSync(join(dataDir, 'master.key'), 'utf8');

    for (let run = 0; run < 2; run++) {
      const ledger = await start();
      running.push(ledger);
      const ready = (await (await fetch(`${ledger.url}/ready`)).json()) as { checks: { eventStore: { head: string } } };
      headAfterFirstRun = ready.checks.eventStore.head;
      expect(headAfterFirstRun).toBe(written.position);
      await ctrlC(ledger);
    }
    expect(readFileSync(join(dataDir, 'master.key'), 'utf8')).toBe(key);
  });
  it('survives being killed: the next start takes over the server the dead one left, and Ctrl-C stops both', async () => {
    const killed = await start();
    running.push(killed);
    const serverPid = () =>
      Number(readFileSync(join(dataDir, 'postgres', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const orphan = serverPid();
    process.kill(-killed.process.pid!, 'SIGKILL'); // no shutdown at all: the server it started is left running
    await killed.exited;
    expect(alive(orphan)).toBe(true);

    const next = await start();
    running.push(next);
    const ready = (await (await fetch(`${next.url}/ready`)).json()) as { checks: { eventStore: { head: string } } };
    expect(ready.checks.eventStore.head).toBe(headAfterFirstRun);
    await ctrlC(next);
    await expect.poll(() => alive(orphan), { timeout: 30_000 }).toBe(false);
  });

  it('runs on PGlite when EMBEDDED_DATABASE=pglite, and keeps a PGlite DATA_DIR of an earlier version on PGlite', async () => {
    const earlier = mkdtempSync(join(tmpdir(), 'ledger-embedded-pglite-'));
    try {
      const chosen = await start({ DATA_DIR: earlier, EMBEDDED_DATABASE: 'pglite' });
      running.push(chosen);
      const ready = (await (await fetch(`${chosen.url}/ready`)).json()) as { checks: { database: unknown } };
      expect(ready.checks.database).toMatchObject({ status: 'up', kind: 'pglite' });
      await ctrlC(chosen);

      // The folder now holds a PGlite database and no server folder: without the variable it stays on PGlite.
      const kept = await start({ DATA_DIR: earlier });
      running.push(kept);
      const again = (await (await fetch(`${kept.url}/ready`)).json()) as { checks: { database: unknown } };
      expect(again.checks.database).toMatchObject({ kind: 'pglite' });
      await ctrlC(kept);
      expect(existsSync(join(earlier, 'postgres'))).toBe(false);
    } finally {
      rmSync(earlier, { recursive: true, force: true });
    }
  });
});
