import { randomBytes } from 'node:crypto';
import { existsSync, renameSync } from 'node:fs';
import type { Command } from 'commander';
import { retiredSecrets, writeRetiredSecrets } from '../../infrastructure/auth/jwt-secrets.js';
import { rewrapAll } from '../../infrastructure/crypto-shredding/key-material.js';
import { jwtSecretOf, masterKey } from '../../infrastructure/runtime/resources.js';
import { writeSecretFile } from '../../infrastructure/runtime/secret-files.js';
import { action, type Invocation } from '../action.js';
import { withStores } from '../open.js';
import { CliError } from '../output.js';

/** A new master key: NEW_MASTER_KEY when the operator made (and stored) one first, else a random one. */
function newMasterKey(): Buffer {
  const given = process.env.NEW_MASTER_KEY?.trim();
  if (!given) return randomBytes(32);
  const key = Buffer.from(given, 'base64');
  if (key.length !== 32) throw new CliError('NEW_MASTER_KEY: expected 32 bytes in base64 (openssl rand -base64 32)', 2);
  return key;
}

function newJwtSecret(): string {
  const given = process.env.NEW_JWT_SECRET?.trim();
  if (given !== undefined && given !== '' && given.length < 32)
    throw new CliError('NEW_JWT_SECRET: expected at least 32 characters (openssl rand -base64 48)', 2);
  return given || randomBytes(48).toString('base64');
}

/**
 * The master key: every subject key and the hash root rewrapped under a new one, in one transaction. The keyed
 * hashes derive from the hash root (key-material.ts), so addresses still find their accounts. With DATA_DIR/master.key
 * the new key is written to master.key.next before the database changes and renamed over master.key after, so that
 * at every moment one of the two files opens the database; with MASTER_KEY the new key is printed.
 */
async function rotateMasterKey({ environment, out }: Invocation) {
  const { config, dataDir, logger } = environment;
  const current = masterKey(config, dataDir, logger);
  const next = newMasterKey();
  if (next.equals(current.key)) throw new CliError('The new master key is the current one', 2);
  const pending = current.source.from === 'file' ? `${current.source.path}.next` : null;
  if (pending) writeSecretFile(pending, next.toString('base64'));
  const { subjectKeys } = await withStores(
    environment,
    async ({ database }) => {
      const bar = out.progress('rewrapping', 'subject keys');
      try {
        return await rewrapAll(database, current.key, next, ({ done, total }) => bar.update(done, total));
      } finally {
        bar.stop();
      }
    },
    { applicationName: 'ledger-cli-keys', poolSize: 1, whileStopped: 'ledger keys rotate' },
  );
  if (pending && current.source.from === 'file') renameSync(pending, current.source.path);
  return current.source.from === 'file'
    ? { subjectKeys, source: 'file' as const, file: current.source.path }
    : { subjectKeys, source: 'env' as const, newMasterKey: next.toString('base64') };
}

/**
 * The JWT secret: a new one signs from the next start on, and the old one is kept as a previous secret until the
 * last access token it signed expires (ACCESS_TOKEN_TTL_SECONDS, and a minute of clock skew).
 */
function rotateJwtSecret({ environment }: Invocation) {
  const { config, dataDir } = environment;
  const current = jwtSecretOf(config, dataDir);
  const next = newJwtSecret();
  if (next === current.secret) throw new CliError('The new JWT secret is the current one', 2);
  const retiresAt = new Date(Date.now() + (config.ACCESS_TOKEN_TTL_SECONDS + 60) * 1000).toISOString();
  if (current.source.from === 'file') {
    writeRetiredSecrets(dataDir, [...retiredSecrets(dataDir), { secret: current.secret, retiresAt }]);
    writeSecretFile(current.source.path, next);
    return { source: 'file' as const, file: current.source.path, previousAcceptedUntil: retiresAt };
  }
  return {
    source: 'env' as const,
    newJwtSecret: next,
    previousSecrets: [...config.JWT_PREVIOUS_SECRETS, current.secret],
    previousAcceptedUntil: retiresAt,
  };
}

export function keysCommand(program: Command): void {
  const keys = program.command('keys').description("the ledger's master key and JWT secret");
  keys
    .command('rotate')
    .description(
      'rotate the master key (every subject key rewrapped) and the JWT secret (old tokens accepted until they expire)',
    )
    .option('--master-key', 'rotate only the master key')
    .option('--jwt-secret', 'rotate only the JWT secret')
    .action(
      action(async (invocation, options: { masterKey?: boolean; jwtSecret?: boolean }) => {
        const { out } = invocation;
        const both = !options.masterKey && !options.jwtSecret;
        if (both || options.masterKey) {
          const source = masterKey(invocation.environment.config, invocation.environment.dataDir).source;
          if (source.from === 'file' && existsSync(`${source.path}.next`))
            throw new CliError(
              `${source.path}.next exists: an earlier rotation did not finish. If the ledger starts with master.key, delete master.key.next; otherwise master.key.next holds the key the database is under now: move it over master.key. Then run this again.`,
            );
        }
        // Refused while a ledger runs on the database: it keeps the keys it started with.
        await withStores(invocation.environment, async () => undefined, {
          applicationName: 'ledger-cli-keys',
          poolSize: 1,
          whileStopped: 'ledger keys rotate',
        });
        const master = both || options.masterKey ? await rotateMasterKey(invocation) : undefined;
        const jwt = both || options.jwtSecret ? rotateJwtSecret(invocation) : undefined;
        out.result({ masterKey: master, jwtSecret: jwt });
        if (master) {
          out.line(`master key rotated: ${master.subjectKeys} subject key(s) and the hash root rewrapped`);
          if (master.source === 'file') out.line(`  the new key is in ${master.file} (0600)`);
          else
            out.line(
              `  set MASTER_KEY to this new key in every process, keep it where you keep secrets, and restart them:\n  MASTER_KEY=${master.newMasterKey}\n  Until then processes with the old key cannot read personal data.`,
            );
        }
        if (jwt) {
          out.line(
            `JWT secret rotated; tokens signed with the old one are accepted until ${jwt.previousAcceptedUntil}`,
          );
          if (jwt.source === 'file') out.line(`  the new secret is in ${jwt.file}; the old one in jwt.secret.previous`);
          else
            out.line(
              `  set in every process, and restart them:\n  JWT_SECRET=${jwt.newJwtSecret}\n  JWT_PREVIOUS_SECRETS=${jwt.previousSecrets.join(',')}\n  Remove JWT_PREVIOUS_SECRETS after ${jwt.previousAcceptedUntil}.`,
            );
        }
        out.line('Restart the ledger processes now: they read the keys when they start.');
      }),
    );
}
