import { afterAll, describe, expect, it } from 'vitest';
import { createRedis, redisReadiness } from '../../infrastructure/redis/redis.js';
import { needs, services, uniqueName } from '../support/services.js';

const redis = needs('redis');

describe.skipIf(redis.skip)(`Redis${redis.title}`, () => {
  const prefix = `${uniqueName('test')}:`;
  const client = createRedis(services.redisUrl ?? 'redis://127.0.0.1:6379', { keyPrefix: prefix });
  afterAll(async () => {
    const keys = await client.keys('*'); // keyPrefix is not applied to KEYS patterns' results, so strip it below
    if (keys.length) await client.del(...keys.map((key) => key.slice(prefix.length)));
    await client.quit();
  });

  it('is a real server: values expire and survive a round trip', async () => {
    await client.set('session', 'value', 'PX', 200);
    expect(await client.get('session')).toBe('value');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await client.get('session')).toBeNull();
  });

  it('reports itself ready', async () => {
    await expect(redisReadiness(client).check()).resolves.toMatchObject({ latencyMs: expect.any(Number) });
  });
});
