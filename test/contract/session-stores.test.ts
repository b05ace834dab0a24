import { MemorySessionStore, RedisSessionStore } from '../../infrastructure/auth/session-store.js';
import { createRedis } from '../../infrastructure/redis/redis.js';
import { needs, services, uniqueName } from '../support/services.js';
import { sessionStoreContract } from './session-store.contract.js';

sessionStoreContract('in-process', async () => new MemorySessionStore());

const redis = needs('redis');
sessionStoreContract(
  'Redis',
  async () => {
    const client = createRedis(services.redisUrl!);
    const prefix = `${uniqueName('test')}:session:`;
    return Object.assign(new RedisSessionStore(client, prefix), {
      async cleanup() {
        const keys = await client.keys(`${prefix}*`);
        if (keys.length) await client.del(...keys);
        await client.quit();
      },
    });
  },
  redis.skip ? 'no redis' : undefined,
);
