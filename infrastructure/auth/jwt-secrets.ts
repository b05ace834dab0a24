import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSecretFile } from '../runtime/secret-files.js';

/**
 * The JWT secrets a rotation retired (`ledger keys rotate --jwt`): access tokens they signed are still accepted until
 * they expire. From JWT_PREVIOUS_SECRETS (comma-separated, when JWT_SECRET is set in the environment: the operator
 * drops them once the access-token lifetime has passed), and from DATA_DIR/jwt.secret.previous (when the secret is
 * kept in DATA_DIR): one JSON object a line, each with the time after which no token it signed can still be valid.
 */
export const PREVIOUS_JWT_FILE = 'jwt.secret.previous';

export interface RetiredSecret {
  secret: string;
  /** When the last access token it signed expires: past then, it is ignored and dropped at the next rotation. */
  retiresAt: string;
}

export function retiredSecrets(dataDir: string, now: Date = new Date()): RetiredSecret[] {
  const path = join(dataDir, PREVIOUS_JWT_FILE);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as RetiredSecret)
    .filter((entry) => typeof entry.secret === 'string' && Date.parse(entry.retiresAt) > now.getTime());
}

export function writeRetiredSecrets(dataDir: string, entries: readonly RetiredSecret[]): void {
  writeSecretFile(join(dataDir, PREVIOUS_JWT_FILE), entries.map((entry) => JSON.stringify(entry)).join('\n'));
}

/** Every previous secret still in force: the environment's and the file's. */
export function previousJwtSecrets(configured: readonly string[], dataDir: string, now: Date = new Date()): string[] {
  return [...configured, ...retiredSecrets(dataDir, now).map((entry) => entry.secret)];
}
