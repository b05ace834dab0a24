import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import { isEmbedded, type Config } from '../config/config.js';
import { configuredDatabase } from '../database/configured.js';
import { PersonalDataVault } from '../crypto-shredding/personal-data.js';
import { hashRoot } from '../crypto-shredding/key-material.js';
import { previousJwtSecrets } from '../auth/jwt-secrets.js';
import { openDatabase, type Database } from '../database/database.js';
import { migrateToLatest } from '../database/migrate.js';
import { configuredEventStore } from '../event-store/configured.js';
import type { EventStore } from '../event-store/types.js';
import type { ReadinessCheck } from '../http/readiness.js';
import { PublicUrl } from '../http/public-url.js';
import { createKafka, kafkaReadiness } from '../kafka/kafka.js';
import type { Logger } from '../logging/logger.js';
import { DatabaseSessionStore, RedisSessionStore, type SessionStore } from '../auth/session-store.js';
import { AccessTokens } from '../auth/tokens.js';
import { fileMailer, smtpMailer, type Mailer } from '../mail/mailer.js';
import { clearStaging, FileBlobStore, type BlobStore } from '../blobs/blob-store.js';
import { S3BlobStore } from '../blobs/s3-blob-store.js';
import { AttemptLimiter } from '../rate-limit/login-limiter.js';
import { openAiCompatibleDrafter, type PolicyDrafter } from '../policy-drafting/openai-compatible.js';
import { createRedis, redisReadiness } from '../redis/redis.js';
import { InProcessBus } from '../bus/in-process-bus.js';
import { KafkaBus } from '../bus/kafka-bus.js';
import type { MessageBus } from '../bus/message-bus.js';
import { OutboundGuard } from '../outbound/guard.js';

/**
 * How a ledger server names its database connections: its role and schema (`ledger-all@public`), so that an operator's
 * command can tell whether a ledger is running on the same schema (cli/open.ts runningLedgers).
 */
export const serverConnectionName = (role: Config['LEDGER_ROLE'], schema: string): string =>
  `ledger-${role}@${schema}`.slice(0, 63);

/** Everything a ledger process talks to, opened from the configuration. */
export interface Resources {
  config: Config;
  database: Database;
  eventStore: EventStore;
  vault: PersonalDataVault;
  redis?: Redis;
  kafka?: Kafka;
  /** Kafka when KAFKA_BROKERS is set, else the in-process bus. */
  bus: MessageBus;
  /** Where webhooks may go: WEBHOOK_ALLOWED_HOSTS. */
  webhookGuard: OutboundGuard;
  /** Where the gateway may forward to (an AI service's provider baseUrl): PROVIDER_ALLOWED_HOSTS. */
  providerGuard: OutboundGuard;
  sessions: SessionStore;
  accessTokens: AccessTokens;
  mailer: Mailer;
  blobs: BlobStore;
  /** The optional LLM policy drafter, when POLICY_LLM_URL is set. */
  policyDrafter?: PolicyDrafter;
  loginLimiter: AttemptLimiter;
  resetLimiter: AttemptLimiter;
  /** How often the owner of an address is told that someone tried to register it again. */
  registrationNoticeLimiter: AttemptLimiter;
  /** A keyed hash of a normalised email address: how accounts are found by email without storing the address. */
  emailKey(email: string): string;
  /**
   * HMAC-SHA256 of a value under a key of its own for each tenant and purpose (derived from the master key): how
   * prompts and user references are recorded so that equal values can be matched, without the values themselves.
   */
  tenantHash(tenantId: string, purpose: 'prompt' | 'user-ref' | 'idempotency' | 'recovery-code', value: string): string;
  /** Where links in mails point: PUBLIC_URL, else the address the ledger listens on; never a request's Host. */
  publicUrl: PublicUrl;
  readiness: ReadinessCheck[];
  close(): Promise<void>;
}

export async function openResources(
  config: Config,
  logger: Logger,
  options: { migrate?: boolean; applicationName?: string } = {},
): Promise<Resources> {
  const dataDir = resolve(config.DATA_DIR);
  const database = await openDatabase(
    configuredDatabase(config, {
      applicationName: options.applicationName ?? serverConnectionName(config.LEDGER_ROLE, config.DATABASE_SCHEMA),
      onLog: (line) => logger.error({ database: 'embedded' }, line),
    }),
  );
  const closers: Array<() => Promise<unknown>> = [() => database.close()];
  try {
    if (options.migrate ?? true) {
      const applied = (await migrateToLatest(database)) ?? [];
      for (const result of applied) logger.info({ migration: result.migrationName }, 'migration applied');
    }
    const eventStore = configuredEventStore(config, database);
    closers.unshift(() => eventStore.close());
    const master = masterKey(config, dataDir, logger).key;
    const vault = new PersonalDataVault(database, master);
    // The keyed hashes derive from the hash root, not from the master key, which may be rotated (key-material.ts).
    const root = await hashRoot(database, master);
    const tenantKeys = new Map<string, Buffer>();
    const emailHmacKey = Buffer.from(hkdfSync('sha256', root, Buffer.alloc(0), 'compliance-ledger email index', 32));

    const readiness: ReadinessCheck[] = [
      {
        name: 'database',
        async check() {
          await database.db.selectNoFrom((eb) => eb.val(1).as('one')).execute();
          return { kind: database.kind, schema: database.schema, ...(database.embeddedIn ? { embedded: true } : {}) };
        },
      },
      {
        name: 'eventStore',
        check: async () => ({ adapter: config.EVENT_STORE, head: await eventStore.headPosition() }),
      },
    ];
    let redis: Redis | undefined;
    if (config.REDIS_URL) {
      redis = createRedis(config.REDIS_URL);
      readiness.push(redisReadiness(redis));
      const client = redis;
      closers.unshift(async () => client.quit().catch(() => client.disconnect()));
    }
    let kafka: Kafka | undefined;
    if (config.KAFKA_BROKERS) {
      kafka = createKafka(config.KAFKA_BROKERS, `compliance-ledger-${config.LEDGER_ROLE}`, logger);
      readiness.push(kafkaReadiness(kafka));
    }
    const bus: MessageBus = kafka
      ? new KafkaBus(
          kafka,
          { partitions: config.KAFKA_TOPIC_PARTITIONS, replicationFactor: config.KAFKA_REPLICATION_FACTOR },
          logger,
        )
      : new InProcessBus();
    closers.unshift(() => bus.close());
    const sessions: SessionStore = redis
      ? new RedisSessionStore(redis, `${config.REDIS_KEY_PREFIX}session:`)
      : new DatabaseSessionStore(database);
    const jwtSecret = jwtSecretOf(config, dataDir).secret;
    const mailDir = join(dataDir, 'mail');
    const mailer = config.SMTP_URL
      ? smtpMailer(config.SMTP_URL, config.MAIL_FROM)
      : fileMailer(mailDir, config.MAIL_FROM, (file, mail) =>
          logger.info({ file, to: '[redacted]', subject: mail.subject }, 'mail written (no SMTP_URL configured)'),
        );
    closers.unshift(() => mailer.close());
    const blobs: BlobStore =
      config.BLOB_STORE === 's3'
        ? new S3BlobStore({
            bucket: config.S3_BUCKET!,
            region: config.S3_REGION,
            endpoint: config.S3_ENDPOINT,
            forcePathStyle: config.S3_FORCE_PATH_STYLE,
            credentials: config.S3_ACCESS_KEY_ID
              ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY! }
              : undefined,
            stagingDir: join(dataDir, 'blobs', 'staging'),
          })
        : new FileBlobStore(join(dataDir, 'blobs'));
    // What a process that died mid-upload left in staging (both stores stage under DATA_DIR/blobs/staging).
    const leftovers = await clearStaging(join(dataDir, 'blobs', 'staging'), 3600_000);
    if (leftovers > 0) logger.info({ files: leftovers }, 'removed staged uploads left behind by an earlier process');
    return {
      config,
      database,
      eventStore,
      vault,
      redis,
      kafka,
      bus,
      webhookGuard: new OutboundGuard({ allowedHosts: config.WEBHOOK_ALLOWED_HOSTS }),
      providerGuard: new OutboundGuard({ allowedHosts: config.PROVIDER_ALLOWED_HOSTS }),
      sessions,
      accessTokens: new AccessTokens(
        jwtSecret,
        config.ACCESS_TOKEN_TTL_SECONDS,
        previousJwtSecrets(config.JWT_PREVIOUS_SECRETS, dataDir),
      ),
      mailer,
      blobs,
      policyDrafter: config.POLICY_LLM_URL
        ? openAiCompatibleDrafter({
            url: config.POLICY_LLM_URL,
            apiKey: config.POLICY_LLM_API_KEY,
            model: config.POLICY_LLM_MODEL,
            timeoutMs: config.POLICY_LLM_TIMEOUT_MS,
          })
        : undefined,
      loginLimiter: new AttemptLimiter(
        'login',
        { perAccount: 5, perIp: 50, windowSeconds: 15 * 60 },
        redis,
        config.REDIS_KEY_PREFIX,
      ),
      resetLimiter: new AttemptLimiter(
        'reset',
        { perAccount: 3, perIp: 20, windowSeconds: 60 * 60 },
        redis,
        config.REDIS_KEY_PREFIX,
      ),
      registrationNoticeLimiter: new AttemptLimiter(
        'registration-notice',
        { perAccount: 3, perIp: 20, windowSeconds: 60 * 60 },
        redis,
        config.REDIS_KEY_PREFIX,
      ),
      tenantHash: (tenantId, purpose, value) => {
        const id = `${purpose}\u0000${tenantId}`;
        let key = tenantKeys.get(id);
        if (!key) {
          key = Buffer.from(hkdfSync('sha256', root, Buffer.from(tenantId), `compliance-ledger ${purpose} hash`, 32));
          if (tenantKeys.size > 10_000) tenantKeys.clear();
          tenantKeys.set(id, key);
        }
        return createHmac('sha256', key).update(value).digest('hex');
      },
      emailKey: (email) => createHmac('sha256', emailHmacKey).update(email.trim().toLowerCase()).digest('hex'),
      publicUrl: new PublicUrl(config.PUBLIC_URL),
      readiness,
      async close() {
        for (const check of readiness) await check.close?.().catch(() => {});
        for (const close of closers)
          await close().catch((error: unknown) => logger.warn({ err: error }, 'error while closing'));
      },
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => {});
    throw error;
  }
}

/**
 * A secret the deployment should provide, or else one made once and kept in DATA_DIR (owner-only), so that the
 * embedded default works out of the box and keeps working across restarts.
 */
export function persistentSecret(dataDir: string, file: string, make: () => string): string {
  const path = join(dataDir, file);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = make();
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return secret;
}

/** Where a secret comes from: the environment, or a file in DATA_DIR (what `ledger keys rotate` rewrites). */
export type SecretSource = { from: 'env' } | { from: 'file'; path: string };

/**
 * The key that wraps every data subject's key (and the hash root). From MASTER_KEY when set (required in
 * production); otherwise made once and kept in DATA_DIR/master.key, readable by the owner only. Losing it loses all
 * personal data.
 */
export function masterKey(config: Config, dataDir: string, logger?: Logger): { key: Buffer; source: SecretSource } {
  if (config.MASTER_KEY) return { key: config.MASTER_KEY, source: { from: 'env' } };
  if (!isEmbedded(config))
    logger?.warn(
      'MASTER_KEY is not set: using one kept in DATA_DIR/master.key. Set MASTER_KEY for any shared deployment.',
    );
  const path = join(dataDir, 'master.key');
  const key = Buffer.from(
    persistentSecret(dataDir, 'master.key', () => randomBytes(32).toString('base64')),
    'base64',
  );
  if (key.length !== 32) throw new Error(`${path} does not hold a 32-byte base64 key`);
  return { key, source: { from: 'file', path } };
}

/** The secret access tokens are signed with: JWT_SECRET, or else one made once and kept in DATA_DIR/jwt.secret. */
export function jwtSecretOf(config: Config, dataDir: string): { secret: string; source: SecretSource } {
  if (config.JWT_SECRET) return { secret: config.JWT_SECRET, source: { from: 'env' } };
  return {
    secret: persistentSecret(dataDir, 'jwt.secret', () => randomBytes(48).toString('base64')),
    source: { from: 'file', path: join(dataDir, 'jwt.secret') },
  };
}
