import type { Redis } from 'ioredis';
import type { RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface LimitOptions {
  /** Failed attempts allowed per account within the window. */
  perAccount: number;
  /** Failed attempts allowed per IP address within the window. */
  perIp: number;
  windowSeconds: number;
}

export class TooManyAttemptsError extends Error {
  override readonly name = 'TooManyAttemptsError';
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many attempts; retry in ${retryAfterSeconds} s`);
  }
}

/**
 * Brute-force protection for login and password reset, per account and per IP (rate-limiter-flexible): on Redis
 * when there is one, so every instance shares the counts, else in process. Only failures count; a success clears
 * the account's count.
 */
export class AttemptLimiter {
  private readonly byAccount: RateLimiterAbstract;
  private readonly byIp: RateLimiterAbstract;

  constructor(name: string, options: LimitOptions, redis?: Redis) {
    const make = (suffix: string, points: number): RateLimiterAbstract =>
      redis
        ? new RateLimiterRedis({
            storeClient: redis,
            keyPrefix: `ledger:limit:${name}:${suffix}`,
            points,
            duration: options.windowSeconds,
            useRedisPackage: false,
          })
        : new RateLimiterMemory({ keyPrefix: `${name}:${suffix}`, points, duration: options.windowSeconds });
    this.byAccount = make('account', options.perAccount);
    this.byIp = make('ip', options.perIp);
  }

  /** Throws TooManyAttemptsError when either the account or the IP has used up its attempts. */
  async check(account: string, ip: string): Promise<void> {
    const [a, i] = await Promise.all([this.byAccount.get(account), this.byIp.get(ip)]);
    const blocked = [
      a && a.consumedPoints >= this.byAccount.points ? a : null,
      i && i.consumedPoints >= this.byIp.points ? i : null,
    ].filter((r): r is RateLimiterRes => r !== null);
    if (blocked.length > 0)
      throw new TooManyAttemptsError(Math.max(1, Math.ceil(Math.max(...blocked.map((r) => r.msBeforeNext)) / 1000)));
  }

  async fail(account: string, ip: string): Promise<void> {
    await Promise.all([this.byAccount.penalty(account, 1), this.byIp.penalty(ip, 1)]);
  }

  async succeed(account: string): Promise<void> {
    await this.byAccount.delete(account);
  }
}
