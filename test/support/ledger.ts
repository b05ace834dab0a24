import { sql } from 'kysely';
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLedger } from '../../bin/ledger.js';
import { loadConfig } from '../../infrastructure/config/config.js';
import { openDatabase } from '../../infrastructure/database/database.js';
import { createLogger } from '../../infrastructure/logging/logger.js';
import { services, uniqueName } from './services.js';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * A whole ledger in this process, on the real PostgreSQL (its own schema) and Redis, with response validation
 * against the OpenAPI document switched on. Requests go through HTTP like any client's.
 */
export async function startTestLedger(
  options: { env?: Record<string, string>; captureLogs?: boolean; readMail?: (email: string) => string } = {},
) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-api-'));
  const schema = uniqueName('api');
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: dataDir,
    DATABASE_URL: services.databaseUrl!,
    DATABASE_SCHEMA: schema,
    REDIS_URL: services.redisUrl!,
    // Rate limits and sessions of one test ledger are its own, though every test file shares one Redis.
    REDIS_KEY_PREFIX: `${schema}:`,
    MASTER_KEY: randomBytes(32).toString('base64'),
    JWT_SECRET: randomBytes(48).toString('base64'),
    OPENAPI_VALIDATE_RESPONSES: 'true',
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  // Captured at the most verbose level, for tests that prove what never reaches a log line.
  const logLines: string[] = [];
  const logger = options.captureLogs
    ? createLogger({
        level: 'trace',
        format: 'json',
        destination: { write: (line: string) => void logLines.push(line) },
      })
    : createLogger({ level: 'silent', format: 'json' });
  let ledger = await startLedger(config, logger);
  let stopped = false;

  async function request<T = Record<string, unknown>>(
    method: string,
    path: string,
    init: { body?: unknown; token?: string; headers?: Record<string, string>; rawBody?: string } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.body !== undefined || init.rawBody !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${ledger.listeningUrl}/api/v1${path}`, {
      method,
      headers,
      body: init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** The newest mail sent to an address, as written to DATA_DIR/mail (or as the test's own mail server got it). */
  function lastMailTo(email: string): string {
    if (options.readMail) return options.readMail(email);
    const dir = join(dataDir, 'mail');
    const files = readdirSync(dir).sort().reverse();
    for (const file of files) {
      // Undo quoted-printable (soft line breaks, =XX escapes), as a mail client does.
      const text = readFileSync(join(dir, file), 'utf8')
        .replace(/=\r?\n/g, '')
        .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      if (text.includes(`To: ${email}`)) return text;
    }
    throw new Error(`No mail to ${email}`);
  }

  /** Registers an MSP, verifies the email from the mail it received, and logs in. */
  async function signUp(prefix = 'admin') {
    const email = `${prefix}-${randomBytes(4).toString('hex')}@example.com`;
    const password = 'correct horse battery staple';
    const registered = await request<{ data: { userId: string; tenantId: string } }>('POST', '/auth/register', {
      body: { email, password, name: 'Ada Admin', organizationName: 'Managed IT Ltd' },
    });
    if (registered.status !== 201) throw new Error(`register: ${registered.status} ${JSON.stringify(registered.body)}`);
    const token = /token=([A-Za-z0-9._-]+)/.exec(lastMailTo(email))![1]!;
    const verified = await request('POST', '/auth/verify-email', { body: { token } });
    if (verified.status !== 204) throw new Error(`verify: ${verified.status} ${JSON.stringify(verified.body)}`);
    const login = await request<{ data: { accessToken: string; refreshToken: string } }>('POST', '/auth/login', {
      body: { email, password },
    });
    if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
    return { email, password, ...registered.body.data, ...login.body.data };
  }

  /** An access token for any role of a tenant, signed as the ledger signs them (roles a test cannot sign up as). */
  function tokenFor(tenantId: string, role: string, clientId: string | null = null): string {
    const key = createSecretKey(Buffer.from(config.JWT_SECRET!, 'utf8'));
    return jwt.sign({ tid: tenantId, role, cid: clientId, sid: randomUUID() }, key, {
      subject: randomUUID(),
      expiresIn: 60,
      algorithm: 'HS256',
    });
  }

  return {
    tokenFor,
    /** Every route the ledger's Express app serves. */
    routes: () => ledger.routes(),
    /** Where the ledger listens (requests go here; PUBLIC_URL, when set, is only what links say). */
    get url() {
      return ledger.listeningUrl;
    },
    /** Stops the process's ledger and starts it again on the same schema and data: a restart after a crash. */
    async restart() {
      await ledger.close();
      ledger = await startLedger(config, logger);
    },
    /** Starts the ledger again after stop(), on the same schema and data (an operator's stop, work, start). */
    async start() {
      if (!stopped) return;
      ledger = await startLedger(config, logger);
      stopped = false;
    },
    /** Stops the ledger and leaves its data in place (to look at what it left on disk); close() still cleans up. */
    async stop() {
      if (stopped) return;
      stopped = true;
      await ledger.close();
    },
    /** Runs SQL on this ledger's schema. */
    async sql<R>(query: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<R>): Promise<R> {
      const database = await openDatabase({ kind: 'postgres', url: services.databaseUrl!, schema, poolSize: 1 });
      try {
        return await query(database.db);
      } finally {
        await database.close();
      }
    },
    config,
    dataDir,
    request,
    lastMailTo,
    signUp,
    /** Every log line so far (with captureLogs). */
    logs: () => logLines.join(''),
    /** Every stored event of this ledger's schema, raw as the database holds it. */
    async storedEvents(): Promise<Array<{ type: string; data: unknown; metadata: unknown }>> {
      const database = await openDatabase({ kind: 'postgres', url: services.databaseUrl!, schema, poolSize: 1 });
      try {
        const { rows } = await sql<{
          type: string;
          data: unknown;
          metadata: unknown;
        }>`select type, data, metadata from events order by global_position`.execute(database.db);
        return rows;
      } finally {
        await database.close();
      }
    },
    async close() {
      if (!stopped) await ledger.close();
      stopped = true;
      if (config.DATABASE_URL) {
        const admin = await openDatabase({ kind: 'postgres', url: services.databaseUrl!, poolSize: 1 });
        await admin.db.schema.dropSchema(schema).ifExists().cascade().execute();
        await admin.close();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type TestLedger = Awaited<ReturnType<typeof startTestLedger>>;
