import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface LimitOptions {
  /** Attempts allowed per account within the window (a successful login gives them back). */
  perAccount: number;
  /** Attempts allowed per IP address within the window. */
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
 * when there is one, so every instance shares the counts, else in process.
 *
 * An attempt is consumed, atomically, before it is made: a check followed by a count afterwards lets thirty parallel
 * requests all pass the check before any is counted. A successful login gives the attempts back.
 */
export class AttemptLimiter {
  private readonly byAccount: RateLimiterAbstract;
  private readonly byIp: RateLimiterAbstract;

  constructor(name: string, options: LimitOptions, redis?: Redis, keyPrefix = 'ledger:') {
    const make = (suffix: string, points: number): RateLimiterAbstract =>
      redis
        ? new RateLimiterRedis({
            storeClient: redis,
            keyPrefix: `${keyPrefix}limit:${name}:${suffix}`,
            points,
            duration: options.windowSeconds,
            useRedisPackage: false,
          })
        : new RateLimiterMemory({ keyPrefix: `${name}:${suffix}`, points, duration: options.windowSeconds });
    this.byAccount = make('account', options.perAccount);
    this.byIp = make('ip', options.perIp);
  }

  /** Takes one attempt for the account and the IP; throws TooManyAttemptsError when either has none left. */
  async consume(account: string, ip: string): Promise<void> {
    const results = await Promise.allSettled([this.byAccount.consume(account), this.byIp.consume(ip)]);
    const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    if (refused.length === 0) return;
    const limits = refused.filter((reason): reason is RateLimiterRes => reason instanceof RateLimiterRes);
    if (limits.length < refused.length) throw refused.find((reason) => !(reason instanceof RateLimiterRes));
    throw new TooManyAttemptsError(Math.max(1, Math.ceil(Math.max(...limits.map((r) => r.msBeforeNext)) / 1000)));
  }

  /** A successful attempt: the account's attempts and this one of the IP's are given back. */
  async succeed(account: string, ip: string): Promise<void> {
    await Promise.all([this.byAccount.delete(account), this.byIp.reward(ip, 1)]);
  }
}
