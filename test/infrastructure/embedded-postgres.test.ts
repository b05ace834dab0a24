/**
 * The embedded default's PostgreSQL server, as the ledger starts it under DATA_DIR/postgres: what a real server brings
 * (a crash's leftovers, a second process, a folder from another version) handled without losing anything.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { alive } from '../support/processes.js';
import {
  EmbeddedPostgresError,
  embeddedBinaries,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '../../infrastructure/database/embedded-postgres.js';

const folders: string[] = [];
const servers: EmbeddedPostgres[] = [];
afterAll(async () => {
  for (const server of servers) await server.stop().catch(() => {});
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function dataDir(prefix = 'ledger-embedded-pg-'): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  folders.push(folder);
  return folder;
}

async function start(root: string): Promise<EmbeddedPostgres> {
  const server = await startEmbeddedPostgres({ root });
  servers.push(server);
  return server;
}

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

function serverPid(root: string): number {
  return Number(readFileSync(join(root, 'postgres', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

describe('the embedded PostgreSQL server', { timeout: 120_000 }, () => {
  it('starts from an empty folder, listens on no TCP port, and keeps its data across a stop and a start', async () => {
    const root = dataDir();
    const first = await start(root);
    expect(first.owner).toBe(true);
    const [settings] = await query<{ listen: string; version: string }>(
      first.url,
      "select current_setting('listen_addresses') as listen, current_setting('server_version_num') as version",
    );
    expect(settings).toEqual({
      listen: '',
      version: expect.stringMatching(new RegExp(`^${embeddedBinaries().major}`)),
    });
    await query(first.url, 'create table kept (note text); insert into kept values ($$written before the stop$$)');
    const pid = serverPid(root);
    await first.stop();
    expect(alive(pid)).toBe(false);

    const second = await start(root);
    expect(await query(second.url, 'select note from kept')).toEqual([{ note: 'written before the stop' }]);
    await second.stop();
  });

  it('starts after a crash left postmaster.pid naming a process that is not PostgreSQL', async () => {
    const root = dataDir();
    await (await start(root)).stop();
    // A crash leaves the lock file; after a reboot its PID can belong to any program, here the test runner itself.
    const lockFile = join(root, 'postgres', 'data', 'postmaster.pid');
    writeFileSync(lockFile, `${process.pid}\n${join(root, 'postgres', 'data')}\n0\n5432\n/nowhere\n\n`);
    const server = await start(root);
    expect(await query(server.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    expect(serverPid(root)).not.toBe(process.pid);
    await server.stop();
  });

  it('lets a second process attach to the running server without stopping it when it leaves', async () => {
    const root = dataDir();
    const owner = await start(root);
    const guest = await start(root);
    expect(guest.owner).toBe(false);
    expect(guest.url).toBe(owner.url);
    await guest.stop();
    expect(await query(owner.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    const pid = serverPid(root);
    await owner.stop();
    expect(alive(pid)).toBe(false);
  });

  it('adopts a server whose ledger was killed, and stops it when it stops', async () => {
    const root = dataDir();
    const orphaned = await start(root);
    // The ledger that started it is gone (killed with SIGKILL, it never stopped its server).
    writeFileSync(join(root, 'postgres', 'ledger.pid'), '999999999');
    const pid = serverPid(root);
    const adopter = await start(root);
    expect(adopter.owner).toBe(true);
    await adopter.stop();
    // The server is this test process's own child: gone once its exit is reaped, which takes a moment.
    await expect.poll(() => alive(pid), { timeout: 10_000 }).toBe(false);
    await orphaned.stop(); // its child is already gone: nothing to do
  });

  it('refuses a data folder made by another PostgreSQL major version and leaves it untouched', async () => {
    const root = dataDir();
    await (await start(root)).stop();
    const versionFile = join(root, 'postgres', 'data', 'PG_VERSION');
    writeFileSync(versionFile, '14\n');
    const refused = startEmbeddedPostgres({ root });
    await expect(refused).rejects.toThrow(EmbeddedPostgresError);
    await expect(refused).rejects.toThrow(/holds a PostgreSQL 14 database.*bundles PostgreSQL \d+.*pg_dump.*untouched/);
    expect(readFileSync(versionFile, 'utf8')).toBe('14\n');
  });

  it('works under a DATA_DIR too deep for a Unix socket path', async () => {
    const parent = dataDir();
    chmodSync(parent, 0o755); // as a user's home folder is: the server's user (when run as root) must pass through
    const root = join(parent, 'a-folder-name-long-enough'.repeat(4), 'data');
    const server = await start(root);
    expect(await query(server.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    await server.stop();
  });
});
