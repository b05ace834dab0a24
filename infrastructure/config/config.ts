import { z } from 'zod';
import { parseHostEntry } from '../outbound/guard.js';
import { isProxyAddress } from '../ip-address.js';

/**
 * The ledger's configuration: environment variables only, validated once at start. Every bad or missing value is
 * reported by name with what was expected, and the process exits before it serves anything.
 */

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(emptyAsUndefined, schema.optional());

const urlWithScheme = (schemes: string[], example: string) =>
  z.string().refine(
    (value) => {
      try {
        return schemes.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `expected a ${schemes.join(' or ')} URL, such as ${example}` },
  );

/** Hosts that outbound calls may reach although private or plain http: comma-separated `host` or `host:port`. */
const hostList = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((host) => host.trim().toLowerCase())
      .filter(Boolean),
  )
  .superRefine((hosts, context) => {
    const bad = hosts.filter((host) => !parseHostEntry(host));
    if (bad.length > 0)
      context.addIssue({
        code: 'custom',
        message: `expected comma-separated hosts or host:port, such as hooks.internal:8443; not ${bad.map((b) => `"${b}"`).join(', ')}`,
      });
  });

const schema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'], { message: 'expected development, production or test' })
    .default('development'),
  LEDGER_ROLE: z
    .enum(['all', 'command-api', 'query-api', 'projections'], {
      message: 'expected all, command-api, query-api or projections',
    })
    .default('all'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce
    .number({ message: 'expected a port number' })
    .int()
    .min(0, 'expected a port from 0 to 65535')
    .max(65535, 'expected a port from 0 to 65535')
    .default(3000),
  PUBLIC_URL: optional(
    urlWithScheme(['http', 'https'], 'https://ledger.example.com').transform((value) => value.replace(/\/+$/, '')),
  ),
  // Whose X-Forwarded-For (and -Proto) to believe: Express's `trust proxy`. None by default, so that no client can
  // choose the address recorded for it or counted by the rate limits.
  TRUST_PROXY: z
    .string()
    .default('')
    .transform((value, context): false | number | string[] => {
      const entries = value
        .split(',')
        .map((entry) => entry.trim().toLowerCase())
        .filter(Boolean);
      if (entries.length === 0 || (entries.length === 1 && ['false', 'none'].includes(entries[0]!))) return false;
      if (entries.length === 1 && /^\d{1,2}$/.test(entries[0]!) && Number(entries[0]) >= 1) return Number(entries[0]);
      if (entries.every(isProxyAddress)) return entries;
      context.addIssue({
        code: 'custom',
        message:
          "expected the proxies' addresses or CIDR ranges (or loopback, linklocal, uniquelocal), comma-separated, or a " +
          'number of proxy hops, or none; trusting every peer (true) would let any client choose its address',
      });
      return z.NEVER;
    }),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Without DATABASE_URL: a PostgreSQL server the ledger runs itself (the default), or PGlite in the process. */
  EMBEDDED_DATABASE: optional(z.enum(['postgres', 'pglite'], { message: 'expected postgres or pglite' })),
  DATABASE_URL: optional(urlWithScheme(['postgres', 'postgresql'], 'postgres://user:password@host:5432/ledger')),
  DATABASE_SCHEMA: z.string().regex(IDENTIFIER, 'expected a lower-case SQL identifier').default('public'),
  DATABASE_POOL_SIZE: z.coerce.number({ message: 'expected a number' }).int().min(1).max(200).default(10),
  MIGRATE_ON_START: z
    .enum(['true', 'false'], { message: 'expected true or false' })
    .default('true')
    .transform((value) => value === 'true'),
  EVENT_STORE: z
    .enum(['postgres', 'eventstoredb'], { message: 'expected postgres or eventstoredb' })
    .default('postgres'),
  ESDB_URL: optional(urlWithScheme(['esdb', 'esdb+discover'], 'esdb://localhost:2113?tls=false')),
  REDIS_URL: optional(urlWithScheme(['redis', 'rediss'], 'redis://localhost:6379')),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'expected up to 64 letters, digits or :_.-, such as ledger:')
    .default('ledger:'),
  KAFKA_BROKERS: optional(
    z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((broker) => broker.trim())
          .filter(Boolean),
      )
      .pipe(
        z
          .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port'))
          .min(1, 'expected a comma-separated list of host:port'),
      ),
  ),
  KAFKA_TOPIC_PARTITIONS: z.coerce.number({ message: 'expected a number' }).int().min(1).max(1000).default(3),
  KAFKA_REPLICATION_FACTOR: z.coerce.number({ message: 'expected a number' }).int().min(1).max(10).default(1),
  VIOLATIONS_TOPIC: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,200}$/, 'expected a Kafka topic name')
    .default('compliance.violations.v1'),
  NOTIFY_MIN_SEVERITY: z
    .enum(['low', 'medium', 'high', 'critical'], { message: 'expected low, medium, high or critical' })
    .default('high'),
  NOTIFY_EMAIL_MODE: z.enum(['immediate', 'hourly'], { message: 'expected immediate or hourly' }).default('immediate'),
  QUERY_WAIT_MS: z.coerce.number({ message: 'expected milliseconds' }).int().min(0).max(60_000).default(5_000),
  EVIDENCE_SWEEP_MS: z.coerce
    .number({ message: 'expected milliseconds' })
    .int()
    .min(10)
    .max(24 * 3600 * 1000)
    .default(60_000),
  NOTIFY_POLL_MS: z.coerce.number({ message: 'expected milliseconds' }).int().min(10).max(60_000).default(1000),
  WEBHOOK_ALLOWED_HOSTS: hostList,
  /** Hosts an AI service's provider baseUrl may name although private or plain http (a model served in-house). */
  PROVIDER_ALLOWED_HOSTS: hostList,
  /** Requests a minute per gateway key, unless the key sets its own. */
  GATEWAY_KEY_REQUESTS_PER_MINUTE: z.coerce.number({ message: 'expected a number' }).int().min(1).default(600),
  /** Completion tokens reserved against a monthly budget for a request that names no max_tokens. */
  GATEWAY_DEFAULT_COMPLETION_TOKENS: z.coerce.number({ message: 'expected a number' }).int().min(1).default(1024),
  WEBHOOK_TIMEOUT_MS: z.coerce.number({ message: 'expected milliseconds' }).int().min(100).max(120_000).default(10_000),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number({ message: 'expected a number' }).int().min(1).max(100).default(8),
  WEBHOOK_RETRY_BASE_MS: z.coerce.number({ message: 'expected milliseconds' }).int().min(10).default(30_000),
  WEBHOOK_RETRY_FOR_MS: z.coerce
    .number({ message: 'expected milliseconds' })
    .int()
    .min(100)
    .default(24 * 3600 * 1000),
  MASTER_KEY: optional(
    z
      .string()
      .transform((value) => Buffer.from(value, 'base64'))
      .refine((key) => key.length === 32, 'expected 32 bytes in base64 (openssl rand -base64 32)'),
  ),
  JWT_SECRET: optional(z.string().min(32, 'expected at least 32 characters (openssl rand -base64 48)')),
  /** Secrets a rotation retired, comma-separated: access tokens they signed are accepted until they expire. */
  JWT_PREVIOUS_SECRETS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((secret) => secret.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().min(32, 'expected secrets of at least 32 characters, comma-separated'))),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce
    .number({ message: 'expected a number of seconds' })
    .int()
    .min(30)
    .max(3600)
    .default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce
    .number({ message: 'expected a number of seconds' })
    .int()
    .min(300)
    .default(30 * 24 * 3600),
  BLOB_STORE: z.enum(['filesystem', 's3'], { message: 'expected filesystem or s3' }).default('filesystem'),
  S3_BUCKET: optional(z.string().min(3).max(63)),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ENDPOINT: optional(urlWithScheme(['http', 'https'], 'https://s3.eu-central-1.amazonaws.com')),
  S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'], { message: 'expected true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  S3_ACCESS_KEY_ID: optional(z.string().min(1)),
  S3_SECRET_ACCESS_KEY: optional(z.string().min(1)),
  EVIDENCE_MAX_BYTES: z.coerce
    .number({ message: 'expected a number of bytes' })
    .int()
    .min(1024)
    .default(25 * 1024 * 1024),
  PROMPT_MAX_CHARS: z.coerce
    .number({ message: 'expected a number of characters' })
    .int()
    .min(256)
    .max(1_000_000)
    .default(65_536),
  /** How long a chat WebSocket may stay open before its first message authenticates it. */
  CHAT_AUTH_TIMEOUT_MS: z.coerce.number({ message: 'expected milliseconds' }).int().min(100).max(60_000).default(5_000),
  POLICY_LLM_URL: optional(urlWithScheme(['http', 'https'], 'https://api.openai.com/v1')),
  POLICY_LLM_API_KEY: optional(z.string().min(1)),
  POLICY_LLM_MODEL: z.string().min(1).default('gpt-4o-mini'),
  POLICY_LLM_TIMEOUT_MS: z.coerce
    .number({ message: 'expected milliseconds' })
    .int()
    .min(1000)
    .max(600_000)
    .default(60_000),
  SMTP_URL: optional(urlWithScheme(['smtp', 'smtps'], 'smtp://user:password@mail.example.com:587')),
  MAIL_FROM: z.string().min(3).default('Compliance Ledger <no-reply@localhost>'),
  OPENAPI_VALIDATE_RESPONSES: z
    .enum(['true', 'false'], { message: 'expected true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'expected fatal, error, warn, info, debug, trace or silent',
    })
    .default('info'),
  LOG_FORMAT: optional(z.enum(['json', 'pretty'], { message: 'expected json or pretty' })),
});

/**
 * Rules that tie variables together. Checked on the raw environment, apart from the schema, so that they are
 * reported alongside any malformed value instead of only once everything else is fixed.
 */
function crossChecks(env: NodeJS.ProcessEnv): Array<{ variable: string; message: string }> {
  const set = (name: string) => Boolean(env[name]?.trim());
  const problems: Array<{ variable: string; message: string }> = [];
  if (env.EVENT_STORE === 'eventstoredb') {
    if (!set('ESDB_URL'))
      problems.push({
        variable: 'ESDB_URL',
        message: 'required when EVENT_STORE=eventstoredb (esdb://host:2113?tls=false)',
      });
    if (!set('DATABASE_URL')) {
      problems.push({
        variable: 'DATABASE_URL',
        message: 'required when EVENT_STORE=eventstoredb: read models and keys live in PostgreSQL',
      });
    }
  }
  if (env.BLOB_STORE === 's3' && !set('S3_BUCKET'))
    problems.push({ variable: 'S3_BUCKET', message: 'required when BLOB_STORE=s3' });
  if (set('S3_ACCESS_KEY_ID') !== set('S3_SECRET_ACCESS_KEY')) {
    problems.push({
      variable: set('S3_ACCESS_KEY_ID') ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID',
      message: 'set both S3 keys, or neither to use the default AWS credential chain',
    });
  }
  if (env.NODE_ENV === 'production' && !set('MASTER_KEY')) {
    problems.push({
      variable: 'MASTER_KEY',
      message: 'required in production: 32 bytes in base64 (openssl rand -base64 32)',
    });
  }
  if (env.NODE_ENV === 'production' && !set('JWT_SECRET')) {
    problems.push({
      variable: 'JWT_SECRET',
      message: 'required in production: at least 32 characters (openssl rand -base64 48)',
    });
  }
  if (env.NODE_ENV === 'production' && !set('PUBLIC_URL')) {
    problems.push({
      variable: 'PUBLIC_URL',
      message: 'required in production: the URL users reach the ledger at (links in mails point there)',
    });
  }
  return problems;
}

export type Config = z.output<typeof schema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: Array<{ variable: string; message: string }>) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
  }
}

/** Parses the environment. Throws a ConfigError that lists every problem, not just the first. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = schema.safeParse(env);
  const problems = [
    ...(result.success
      ? []
      : result.error.issues.map((issue) => ({
          variable: String(issue.path[0] ?? '(environment)'),
          message: issue.message,
        }))),
    ...crossChecks(env),
  ];
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

/** Whether the ledger runs on the embedded default (its own database under DATA_DIR) rather than a deployment's server. */
export function isEmbedded(config: Config): boolean {
  return !config.DATABASE_URL;
}
