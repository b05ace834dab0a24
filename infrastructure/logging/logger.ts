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
