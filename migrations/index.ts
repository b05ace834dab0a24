import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Migration } from 'kysely';

const MIGRATION_FILE = /^(\d{4}_[a-z0-9_]+)\.(?:ts|js)$/;

/**
 * Every migration of this folder, in the order of their names (`NNNN_what.ts`, `.js` once compiled): adding one is
 * adding its file.
 */
export async function allMigrations(): Promise<Record<string, Migration>> {
  const folder = fileURLToPath(new URL('.', import.meta.url));
  const names = (await readdir(folder)).flatMap((file) => {
    const match = MIGRATION_FILE.exec(file);
    return match ? [[match[1]!, file] as const] : [];
  });
  names.sort(([a], [b]) => a.localeCompare(b));
  const loaded = await Promise.all(
    names.map(
      async ([name, file]) => [name, (await import(pathToFileURL(join(folder, file)).href)) as Migration] as const,
    ),
  );
  return Object.fromEntries(loaded);
}
