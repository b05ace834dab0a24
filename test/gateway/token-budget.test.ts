import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseTokenBudget, RedisTokenBudget, type TokenBudget } from '../../gateway/limits.js';
import type { Database } from '../../infrastructure/database/database.js';
import { createRedis } from '../../infrastructure/redis/redis.js';
import { needs, openPgliteDatabase, openTestDatabase, services, uniqueName } from '../support/services.js';

const skip = needs('postgres').skip || needs('redis').skip;

/**
 * A client's monthly token budget on each store the gateway keeps it in: reservations are atomic, so thirty at once
 * never take more than the budget, and settling gives back what an estimate took too many.
 */
describe.skipIf(skip)(`monthly token budgets${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let postgres: Awaited<ReturnType<typeof openTestDatabase>>;
  let pglite: Database;
  let redis: Redis;
  const stores: Array<[string, () => TokenBudget]> = [
    ['PostgreSQL', () => new DatabaseTokenBudget(postgres)],
    ['PGlite (the embedded default)', () => new DatabaseTokenBudget(pglite)],
    ['Redis', () => new RedisTokenBudget(redis, `${uniqueName('budget')}:`)],
  ];
  beforeAll(async () => {
    postgres = await openTestDatabase('budget');
    pglite = await openPgliteDatabase();
    redis = createRedis(services.redisUrl!);
  });
  afterAll(async () => {
    await postgres?.drop();
    await pglite?.close();
    await redis?.quit();
  });

  for (const [name, make] of stores) {
    it(`${name}: thirty parallel reservations take at most the budget`, async () => {
      const budget = make();
      const [tenant, client] = [randomUUID(), randomUUID()];
      const results = await Promise.all(
        Array.from({ length: 30 }, () => budget.reserve(tenant, client, '2026-12', 100, 1000)),
      );
      expect(results.filter(Boolean)).toHaveLength(10);
      expect(await budget.used(tenant, client, '2026-12')).toBe(1000);
      // Settled to the real usage: 60 of each estimate's 100 given back, room for more.
      for (let i = 0; i < 10; i++) await budget.settle(tenant, client, '2026-12', -60);
      expect(await budget.used(tenant, client, '2026-12')).toBe(400);
      expect(await budget.reserve(tenant, client, '2026-12', 600, 1000)).toBe(true);
      expect(await budget.reserve(tenant, client, '2026-12', 1, 1000)).toBe(false);
      // Another month, another client: their own counts.
      expect(await budget.reserve(tenant, client, '2027-01', 1000, 1000)).toBe(true);
      expect(await budget.reserve(tenant, randomUUID(), '2026-12', 1000, 1000)).toBe(true);
    });
  }
});
