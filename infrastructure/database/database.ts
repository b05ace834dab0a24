import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { startEmbeddedPostgres } from './embedded-postgres.js';

/**
 * One PostgreSQL database for the event store, read models and key table: a server reached through `pg` (one the
 * deployment runs, or the embedded default's own under DATA_DIR/postgres), or PGlite under DATA_DIR/pglite. All speak
 * the same SQL, so everything above this module is written once.
 */
export interface Database {
  readonly kind: 'postgres' | 'pglite';
  /** Where the embedded default keeps the server it runs (DATA_DIR/postgres/data); absent for a deployment's server. */
  readonly embeddedIn?: string;
  /** Schema that holds the ledger's tables (search_path is set to it on every connection). */
  readonly schema: string;
  // The ledger's modules each describe their own tables; the shared handle is untyped and they narrow it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  /** Calls `onNotify` for each NOTIFY on the channel until the returned function is called. */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export type DatabaseOptions =
  | { kind: 'postgres'; url: string; schema?: string; poolSize?: number; applicationName?: string }
  | { kind: 'pglite'; dataDir?: string; schema?: string }
  /** The embedded default: a PostgreSQL server this process starts (or attaches to) under `dataDir/postgres`. */
  | {
      kind: 'embedded';
      dataDir: string;
      schema?: string;
      poolSize?: number;
      applicationName?: string;
      onLog?: (line: string) => void;
    };

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertIdentifier(name: string, what = 'identifier'): string {
  if (!IDENTIFIER.test(name))
    throw new RangeError(`Invalid ${what} ${JSON.stringify(name)}: use lower-case letters, digits and _`);
  return name;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const schema = assertIdentifier(options.schema ?? 'public', 'schema name');
  if (options.kind === 'postgres') return openPostgres({ ...options, schema });
  if (options.kind === 'pglite') return openPglite({ ...options, schema });
  const server = await startEmbeddedPostgres({ root: options.dataDir, onLog: options.onLog });
  try {
    const database = await openPostgres({ ...options, kind: 'postgres', url: server.url, schema });
    return {
      ...database,
      embeddedIn: server.dataDir,
      async close() {
        await database.close();
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

// int8 and numeric come back as strings by default; the ledger's bigints fit in a JS number up to 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

async function openPostgres(
  options: Extract<DatabaseOptions, { kind: 'postgres' }> & { schema: string },
): Promise<Database> {
  const { url, schema } = options;
  const connection = {
    connectionString: url,
    application_name: options.applicationName ?? 'compliance-ledger',
    options: `-c search_path=${schema}`,
  };
  const pool = new pg.Pool({ ...connection, max: options.poolSize ?? 10 });
  // A dropped connection must not crash the process. Idle clients report it to the pool; a checked-out client reports
  // it to itself, and with no listener Node would throw. Its query fails instead, and the pool discards the client.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  // Only when it is missing: an application's login role may use the schema without the right to create one.
  const { rows: existing } = await sql`select 1 from pg_namespace where nspname = ${schema}`.execute(db);
  if (existing.length === 0) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  const listener = new PgListener(connection);
  return {
    kind: 'postgres',
    schema,
    db,
    listen: (channel, onNotify) => listener.listen(channel, onNotify),
    async close() {
      await listener.close();
      await db.destroy();
    },
  };
}

async function openPglite(
  options: Extract<DatabaseOptions, { kind: 'pglite' }> & { schema: string },
): Promise<Database> {
  let dataDir: string | undefined;
  if (options.dataDir) {
    dataDir = join(options.dataDir, 'pglite');
    mkdirSync(dataDir, { recursive: true });
  }
  const pglite = new PGlite(dataDir);
  await pglite.waitReady;
  await pglite.exec(`create schema if not exists "${options.schema}"; set search_path to "${options.schema}"`);
  const db = new Kysely({ dialect: new PGliteDialect(pglite) });
  return {
    kind: 'pglite',
    schema: options.schema,
    db,
    async listen(channel, onNotify) {
      const unlisten = await pglite.listen(assertIdentifier(channel, 'channel'), () => onNotify());
      return async () => unlisten();
    },
    close: () => db.destroy(), // the dialect closes PGlite, which flushes to disk
  };
}

/**
 * One dedicated connection for LISTEN, shared by every subscriber of this process. When the connection drops it
 * reconnects with backoff and listens again; subscribers also poll slowly, so a notification lost in between only
 * delays delivery.
 */
class PgListener {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private readonly handlers = new Map<string, Set<() => void>>();
  private closed = false;
  private retryDelay = 100;

  constructor(private readonly connection: pg.ClientConfig) {}

  async listen(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    assertIdentifier(channel, 'channel');
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      const client = await this.connect();
      await client.query(`LISTEN "${channel}"`);
    }
    set.add(onNotify);
    return async () => {
      set.delete(onNotify);
    };
  }

  private connect(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new pg.Client({
        ...this.connection,
        application_name: `${this.connection.application_name}:listen`,
      });
      client.on('notification', (message) => {
        for (const handler of this.handlers.get(message.channel) ?? []) handler();
      });
      client.on('error', () => this.dropped(client));
      client.on('end', () => this.dropped(client));
      await client.connect();
      for (const channel of this.handlers.keys()) await client.query(`LISTEN "${channel}"`);
      this.client = client;
      this.retryDelay = 100;
      return client;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private dropped(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (this.closed) return;
    const reconnect = (): void => {
      if (this.closed || this.client) return;
      this.connect().catch(() => {
        this.retryDelay = Math.min(this.retryDelay * 2, 5_000);
        setTimeout(reconnect, this.retryDelay).unref();
      });
    };
    // Wake everyone: they re-read from their last position, which covers anything said while we were away.
    for (const set of this.handlers.values()) for (const handler of set) handler();
    setTimeout(reconnect, this.retryDelay).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
