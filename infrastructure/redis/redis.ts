import { Redis } from 'ioredis';
import type { ReadinessCheck } from '../http/readiness.js';

/** A Redis client that reconnects by itself and fails commands fast while the server is away. */
export function createRedis(url: string, options: { keyPrefix?: string } = {}): Redis {
  return new Redis(url, {
    keyPrefix: options.keyPrefix,
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
  });
}

export function redisReadiness(redis: Redis): ReadinessCheck {
  return {
    name: 'redis',
    async check() {
      const started = Date.now();
      if ((await redis.ping()) !== 'PONG') throw new Error('unexpected answer to PING');
      return { latencyMs: Date.now() - started };
    },
  };
}
