import { sql } from 'kysely';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Database } from '../infrastructure/database/database.js';

/**
 * Requests a minute per caller (a key, or a chat user), on Redis when there is one so every instance shares the
 * counts, else in process. A request is counted, atomically, before anything else is done for it.
 */
export class RequestRate {
  private readonly limiters = new Map<number, RateLimiterAbstract>();

  constructor(
    private readonly redis: Redis | undefined,
    private readonly keyPrefix: string,
  ) {}

  private limiter(points: number): RateLimiterAbstract {
    let limiter = this.limiters.get(points);
    if (!limiter) {
      // One limiter per rate: a key's own rate is its own points per 60 s window.
      limiter = this.redis
        ? new RateLimiterRedis({
            storeClient: this.redis,
            keyPrefix: `${this.keyPrefix}limit:gateway:${points}`,
            points,
            duration: 60,
            useRedisPackage: false,
          })
        : new RateLimiterMemory({ keyPrefix: `gateway:${points}`, points, duration: 60 });
      this.limiters.set(points, limiter);
    }
    return limiter;
  }

  /** Counts one request; the seconds to wait when the caller has none left, else null. */
  async take(caller: string, perMinute: number): Promise<number | null> {
    try {
      await this.limiter(perMinute).consume(caller);
      return null;
    } catch (error) {
      if (error instanceof RateLimiterRes) return Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      throw error;
    }
  }
}

/** The calendar month (UTC) a budget counts in: `2026-12`. */
export const budgetMonth = (at: Date): string => at.toISOString().slice(0, 7);

/**
 * A client's monthly token budget: an estimate is reserved before a request is forwarded (refused when it would go
 * over), and settled to the real usage afterwards (a negative difference gives tokens back).
 */
export interface TokenBudget {
  /** Reserves `tokens` if used + tokens stays within `limit`; false (and nothing reserved) otherwise. */
  reserve(tenantId: string, clientId: string, month: string, tokens: number, limit: number): Promise<boolean>;
  /** Adds `delta` (negative: gives back) to what was used. */
  settle(tenantId: string, clientId: string, month: string, delta: number): Promise<void>;
  used(tenantId: string, clientId: string, month: string): Promise<number>;
}

/** On the database (the embedded default): one conditional UPDATE … RETURNING, which row locks make atomic. */
export class DatabaseTokenBudget implements TokenBudget {
  constructor(private readonly database: Pick<Database, 'db'>) {}

  async reserve(tenantId: string, clientId: string, month: string, tokens: number, limit: number): Promise<boolean> {
    const { db } = this.database;
    await sql`insert into gateway_token_budgets (tenant_id, client_id, month) values (${tenantId}, ${clientId}, ${month})
      on conflict do nothing`.execute(db);
    const { rows } = await sql<{ used: string }>`update gateway_token_budgets set used = used + ${tokens}
      where tenant_id = ${tenantId} and client_id = ${clientId} and month = ${month} and used + ${tokens} <= ${limit}
      returning used`.execute(db);
    return rows.length === 1;
  }

  async settle(tenantId: string, clientId: string, month: string, delta: number): Promise<void> {
    if (delta === 0) return;
    await sql`update gateway_token_budgets set used = greatest(0, used + ${delta})
      where tenant_id = ${tenantId} and client_id = ${clientId} and month = ${month}`.execute(this.database.db);
  }

  async used(tenantId: string, clientId: string, month: string): Promise<number> {
    const { rows } = await sql<{ used: string }>`select used from gateway_token_budgets
      where tenant_id = ${tenantId} and client_id = ${clientId} and month = ${month}`.execute(this.database.db);
    return Number(rows[0]?.used ?? 0);
  }
}

/** Checks and adds in one step on the server: parallel reservations cannot both pass the check. */
const RESERVE = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return -1 end
local now = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return now`;

/** On Redis, where configured: INCRBY under a Lua check. A month's counter expires some weeks after the month. */
export class RedisTokenBudget implements TokenBudget {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  private key(tenantId: string, clientId: string, month: string): string {
    return `${this.keyPrefix}gateway:tokens:${tenantId}:${clientId}:${month}`;
  }

  async reserve(tenantId: string, clientId: string, month: string, tokens: number, limit: number): Promise<boolean> {
    const result = await this.redis.eval(
      RESERVE,
      1,
      this.key(tenantId, clientId, month),
      tokens,
      limit,
      62 * 24 * 3600,
    );
    return Number(result) >= 0;
  }

  async settle(tenantId: string, clientId: string, month: string, delta: number): Promise<void> {
    if (delta !== 0) await this.redis.incrby(this.key(tenantId, clientId, month), delta);
  }

  async used(tenantId: string, clientId: string, month: string): Promise<number> {
    return Number((await this.redis.get(this.key(tenantId, clientId, month))) ?? 0);
  }
}

/** Tokens as the ledger counts them where the provider says nothing: about four characters a token. */
export const countTokens = (text: string): number => Math.ceil(text.length / 4);
