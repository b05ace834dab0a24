import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/**
 * Field names whose values never reach a log line. Pino applies these itself, so a careless
 * `logger.info({ body })` cannot leak a password, a token, a secret or a prompt.
 */
const SENSITIVE = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'secret',
  'clientSecret',
  'apiKey',
  'masterKey',
  'prompt',
  'redactedPrompt',
  'authorization',
  'cookie',
];

/** Paths for the fields above at the top level and up to three levels deep, plus HTTP headers. */
export const REDACTED_PATHS = [
  ...SENSITIVE,
  ...SENSITIVE.map((field) => `*.${field}`),
  ...SENSITIVE.map((field) => `*.*.${field}`),
  ...SENSITIVE.map((field) => `*.*.*.${field}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/**
 * What of an error may reach a log line besides its type, message, stack and cause: system-call details, an HTTP
 * status, and the names PostgreSQL reports (SQLSTATE, severity, the routine, schema, table, column, type or
 * constraint concerned). None of them quotes data.
 */
const ERROR_FIELDS = [
  'code',
  'errno',
  'syscall',
  'address',
  'port',
  'status',
  'statusCode',
  'severity',
  'routine',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
] as const;

/**
 * Errors for log lines, by allowlist: everything else an error carries is dropped, because drivers attach the data of
 * the request to their errors (PGlite the SQL and its bind parameters, PostgreSQL a `detail` such as
 * "Key (email)=(…)", a `where` that quotes the JSON being stored, the internal query). PostgreSQL's own message quotes
 * the offending value for data exceptions (SQLSTATE class 22: `invalid input syntax for type uuid: "…"`): those
 * quotes are emptied, in the message and in the stack's first line, which is rebuilt from it.
 */
export function serializeError(value: unknown, depth = 0): unknown {
  // pino-http hands over pino's own serialisation of the error, with the error itself as `raw`.
  const raw = (value as { raw?: unknown } | null)?.raw;
  const error = value instanceof Error ? value : raw instanceof Error ? raw : undefined;
  if (!error) return typeof value === 'object' && value !== null ? { type: 'non-error object' } : value;
  const fields = error as unknown as Record<string, unknown>;
  const quotesData = typeof fields.code === 'string' && /^22[0-9A-Z]{3}$/.test(fields.code) && 'severity' in fields;
  const message = quotesData ? error.message.replace(/"(?:[^"]|"")*"/g, '"…"') : error.message;
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  const serialized: Record<string, unknown> = {
    type: error.constructor?.name ?? error.name,
    message,
    stack: [`${error.name}: ${message}`, ...frames].join('\n'),
  };
  for (const field of ERROR_FIELDS) {
    const property = fields[field];
    if (typeof property === 'string' || typeof property === 'number') serialized[field] = property;
  }
  if (depth < 5 && error.cause !== undefined) serialized.cause = serializeError(error.cause, depth + 1);
  if (depth < 5 && error instanceof AggregateError)
    serialized.errors = error.errors.slice(0, 10).map((inner: unknown) => serializeError(inner, depth + 1));
  return serialized;
}

/** For pino and pino-http alike: the keys errors are logged under. */
export const ERROR_SERIALIZERS = { err: serializeError, error: serializeError };

export interface LoggerOptions {
  level?: string;
  /** pretty: readable in a terminal; json: one object a line, for production. */
  format?: 'json' | 'pretty';
  name?: string;
  /** Where to write (tests capture the output); stdout by default. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? (process.stdout.isTTY && process.env.NODE_ENV !== 'production' ? 'pretty' : 'json');
  const base = {
    name: options.name ?? 'compliance-ledger',
    level: options.level ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: ERROR_SERIALIZERS,
  };
  if (format === 'pretty') {
    // Synchronous, in-process: the last lines before an exit are not lost, and redaction applies before formatting.
    const stream = pretty({
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,name',
      sync: true,
      destination: options.destination ?? 1,
    });
    return pino(base, stream);
  }
  return options.destination ? pino(base, options.destination) : pino(base);
}
