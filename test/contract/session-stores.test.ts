import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { DatabaseSessionStore, RedisSessionStore } from '../../infrastructure/auth/session-store.js';
import { opaqueToken } from '../../infrastructure/auth/tokens.js';
import { createRedis } from '../../infrastructure/redis/redis.js';
import { needs, openPgliteDatabase, openTestDatabase, services, uniqueName } from '../support/services.js';
import { sessionStoreContract, type SessionStoreHarness } from './session-store.contract.js';

const redis = needs('redis');
sessionStoreContract(
  'Redis',
  async (): Promise<SessionStoreHarness> => {
    const prefix = `${uniqueName('test')}:session:`;
    let client = createRedis(services.redisUrl!);
    return {
      store: new RedisSessionStore(client, prefix),
      async restart() {
        await client.quit();
        client = createRedis(services.redisUrl!);
        return new RedisSessionStore(client, prefix);
      },
      async cleanup() {
        const keys = await client.keys(`${prefix}*`);
        if (keys.length) await client.del(...keys);
        await client.quit();
      },
    };
  },
  redis.skip ? 'no redis' : undefined,
);

const postgres = needs('postgres');
sessionStoreContract(
  'PostgreSQL',
  async (): Promise<SessionStoreHarness> => {
    const database = await openTestDatabase('sessions');
    return {
      store: new DatabaseSessionStore(database),
      restart: async () => new DatabaseSessionStore(await database.reopen()),
      cleanup: () => database.drop(),
    };
  },
  postgres.skip ? 'no postgres' : undefined,
);

// The embedded default: PGlite on disk, closed and opened again from its directory.
sessionStoreContract('PGlite (embedded)', async (): Promise<SessionStoreHarness> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-sessions-'));
  let database = await openPgliteDatabase(dataDir);
  return {
    store: new DatabaseSessionStore(database),
    async restart() {
      await database.close();
      database = await openPgliteDatabase(dataDir);
      return new DatabaseSessionStore(database);
    },
    async cleanup() {
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});

describe('DatabaseSessionStore', () => {
  it('sweeps expired tokens and revocations out of the database, and keeps live ones', async () => {
    const database = await openPgliteDatabase();
    try {
      const store = new DatabaseSessionStore(database, { sweepIntervalMs: 0 });
      const session = () => ({ familyId: randomUUID(), userId: randomUUID(), tenantId: randomUUID() });
      const [expiring, live] = [opaqueToken(), opaqueToken()];
      const [lapsed, revoked] = [randomUUID(), randomUUID()];
      await store.start(session(), expiring.hash, 1);
      await store.start(session(), live.hash, 60);
      await store.revoke(lapsed, 1);
      await store.revoke(revoked, 60);
      await expect.poll(() => store.lookup(expiring.hash), { timeout: 5_000 }).toBeUndefined();
      await expect.poll(() => store.isRevoked(lapsed), { timeout: 5_000 }).toBe(false);

      await store.start(session(), opaqueToken().hash, 60); // any write sweeps when one is due

      const tokens = await sql<{ token_hash: string }>`select token_hash from session_tokens`.execute(database.db);
      expect(tokens.rows.map((row) => row.token_hash)).toContain(live.hash);
      expect(tokens.rows.map((row) => row.token_hash)).not.toContain(expiring.hash);
      const families = await sql<{ family_id: string }>`select family_id from revoked_sessions`.execute(database.db);
      expect(families.rows.map((row) => row.family_id)).toEqual([revoked]);
    } finally {
      await database.close();
    }
  });
});
