import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { Database } from '../database/database.js';

/** One login: every refresh token issued from it belongs to the same family. */
export interface Session {
  familyId: string;
  userId: string;
  tenantId: string;
}

export type RotationResult =
  | { status: 'rotated'; session: Session }
  /** The token had already been used: somebody holds a copy. The whole family is revoked. */
  | { status: 'reused'; session: Session }
  | { status: 'unknown' };

/**
 * Refresh tokens with rotation and reuse detection, and the revocation list that access tokens are checked against.
 * Tokens are stored by their SHA-256 only. Adapters: Redis (production) and the ledger's database (whenever REDIS_URL
 * is unset); one contract suite (test/contract/session-store.contract.ts) runs against each.
 */
export interface SessionStore {
  /** Starts a family with its first refresh token. */
  start(session: Session, tokenHash: string, ttlSeconds: number): Promise<void>;
  /** Exchanges a refresh token for a new one in the same family, once. */
  rotate(tokenHash: string, nextHash: string, ttlSeconds: number): Promise<RotationResult>;
  /** Ends a family: its refresh tokens stop working and its access tokens are refused from now on. */
  revoke(familyId: string, ttlSeconds: number): Promise<void>;
  isRevoked(familyId: string): Promise<boolean>;
  /** Ends every session of a user (password reset, deactivation, erasure). */
  revokeUser(userId: string, ttlSeconds: number): Promise<void>;
  /** The family a refresh token belongs to, if the token is still known. */
  lookup(tokenHash: string): Promise<Session | undefined>;
  close(): Promise<void>;
}

interface SessionRow {
  family_id: string;
  user_id: string;
  tenant_id: string;
}

const sessionOf = (row: SessionRow): Session => ({
  familyId: row.family_id,
  userId: row.user_id,
  tenantId: row.tenant_id,
});

/** Expiry on the database's clock, which every process sharing the database agrees on. */
const expiresIn = (ttlSeconds: number) => sql`now() + ${ttlSeconds}::double precision * interval '1 second'`;

/**
 * Sessions in the ledger's own database (PGlite on the embedded default, or the PostgreSQL server): used whenever
 * there is no Redis, so that logins and revocations outlive a restart and are shared by every process on the
 * database. Expired rows are swept at most once per `sweepIntervalMs`, through the expiry indexes.
 */
export class DatabaseSessionStore implements SessionStore {
  private nextSweep = 0;

  constructor(
    private readonly database: Database,
    private readonly options: { sweepIntervalMs?: number } = {},
  ) {}

  async start(session: Session, tokenHash: string, ttlSeconds: number): Promise<void> {
    await this.sweepIfDue();
    await sql`
      insert into session_tokens (token_hash, family_id, user_id, tenant_id, expires_at)
      values (${tokenHash}, ${session.familyId}, ${session.userId}, ${session.tenantId}, ${expiresIn(ttlSeconds)})`.execute(
      this.database.db,
    );
  }

  async rotate(tokenHash: string, nextHash: string, ttlSeconds: number): Promise<RotationResult> {
    await this.sweepIfDue();
    // One statement: of two concurrent rotations, the second waits on the row lock and then no longer matches.
    const { rows } = await sql<SessionRow>`
      with claimed as (
        update session_tokens t set used = true
         where t.token_hash = ${tokenHash} and not t.used and t.expires_at > now()
           and not exists (select 1 from revoked_sessions r where r.family_id = t.family_id and r.expires_at > now())
        returning t.family_id, t.user_id, t.tenant_id
      ), issued as (
        insert into session_tokens (token_hash, family_id, user_id, tenant_id, expires_at)
        select ${nextHash}, family_id, user_id, tenant_id, ${expiresIn(ttlSeconds)} from claimed
      )
      select family_id, user_id, tenant_id from claimed`.execute(this.database.db);
    if (rows[0]) return { status: 'rotated', session: sessionOf(rows[0]) };
    // Still known but not claimable: used already, or its family revoked meanwhile. Either way the family ends.
    const session = await this.lookup(tokenHash);
    if (!session) return { status: 'unknown' };
    await this.revoke(session.familyId, ttlSeconds);
    return { status: 'reused', session };
  }

  async revoke(familyId: string, ttlSeconds: number): Promise<void> {
    await this.sweepIfDue();
    await sql`
      with ended as (delete from session_tokens where family_id = ${familyId})
      insert into revoked_sessions (family_id, expires_at) values (${familyId}, ${expiresIn(ttlSeconds)})
      on conflict (family_id) do update set expires_at = greatest(revoked_sessions.expires_at, excluded.expires_at)`.execute(
      this.database.db,
    );
  }

  async isRevoked(familyId: string): Promise<boolean> {
    const { rows } = await sql`
      select 1 from revoked_sessions where family_id = ${familyId} and expires_at > now()`.execute(this.database.db);
    return rows.length > 0;
  }

  async revokeUser(userId: string, ttlSeconds: number): Promise<void> {
    await this.sweepIfDue();
    await sql`
      with ended as (delete from session_tokens where user_id = ${userId} returning family_id)
      insert into revoked_sessions (family_id, expires_at)
      select distinct family_id, ${expiresIn(ttlSeconds)} from ended
      on conflict (family_id) do update set expires_at = greatest(revoked_sessions.expires_at, excluded.expires_at)`.execute(
      this.database.db,
    );
  }

  async lookup(tokenHash: string): Promise<Session | undefined> {
    const { rows } = await sql<SessionRow>`
      select family_id, user_id, tenant_id from session_tokens
       where token_hash = ${tokenHash} and expires_at > now()`.execute(this.database.db);
    return rows[0] ? sessionOf(rows[0]) : undefined;
  }

  /** The database belongs to the process, which closes it. */
  async close(): Promise<void> {}

  private async sweepIfDue(): Promise<void> {
    if (Date.now() < this.nextSweep) return;
    this.nextSweep = Date.now() + (this.options.sweepIntervalMs ?? 60_000);
    await sql`delete from session_tokens where expires_at <= now()`.execute(this.database.db);
    await sql`delete from revoked_sessions where expires_at <= now()`.execute(this.database.db);
  }
}

interface StoredToken extends Session {
  used: boolean;
}

// Atomic rotation: a token is exchanged at most once, even when two requests race with the same token.
const ROTATE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return {'unknown'} end
local token = cjson.decode(raw)
local revoked = redis.call('EXISTS', ARGV[3] .. token.familyId)
if token.used or revoked == 1 then return {'reused', raw} end
token.used = true
redis.call('SET', KEYS[1], cjson.encode(token), 'KEEPTTL')
local nextToken = { familyId = token.familyId, userId = token.userId, tenantId = token.tenantId, used = false }
redis.call('SET', KEYS[2], cjson.encode(nextToken), 'EX', ARGV[1])
redis.call('SADD', ARGV[2] .. token.familyId, KEYS[2])
redis.call('EXPIRE', ARGV[2] .. token.familyId, ARGV[1])
-- The user's list of families lives as long as their longest-lived token, so that revokeUser still finds this one.
local userKey = ARGV[4] .. token.userId
redis.call('SADD', userKey, token.familyId)
if redis.call('TTL', userKey) < tonumber(ARGV[1]) then redis.call('EXPIRE', userKey, ARGV[1]) end
return {'rotated', raw}
`;

export class RedisSessionStore implements SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'ledger:session:',
  ) {}

  private tokenKey = (hash: string): string => `${this.prefix}token:${hash}`;
  private familyKey = (familyId: string): string => `${this.prefix}family:${familyId}`;
  private revokedKey = (familyId: string): string => `${this.prefix}revoked:${familyId}`;
  private userKey = (userId: string): string => `${this.prefix}user:${userId}`;

  async start(session: Session, tokenHash: string, ttlSeconds: number): Promise<void> {
    const key = this.tokenKey(tokenHash);
    await this.redis
      .multi()
      .set(key, JSON.stringify({ ...session, used: false }), 'EX', ttlSeconds)
      .sadd(this.familyKey(session.familyId), key)
      .expire(this.familyKey(session.familyId), ttlSeconds)
      .sadd(this.userKey(session.userId), session.familyId)
      .expire(this.userKey(session.userId), ttlSeconds)
      .exec();
  }

  async revokeUser(userId: string, ttlSeconds: number): Promise<void> {
    const families = await this.redis.smembers(this.userKey(userId));
    for (const familyId of families) await this.revoke(familyId, ttlSeconds);
    await this.redis.del(this.userKey(userId));
  }

  async rotate(tokenHash: string, nextHash: string, ttlSeconds: number): Promise<RotationResult> {
    const [status, raw] = (await this.redis.eval(
      ROTATE,
      2,
      this.tokenKey(tokenHash),
      this.tokenKey(nextHash),
      ttlSeconds,
      `${this.prefix}family:`,
      `${this.prefix}revoked:`,
      `${this.prefix}user:`,
    )) as [string, string?];
    if (status === 'unknown' || !raw) return { status: 'unknown' };
    const { used: _used, ...session } = JSON.parse(raw) as StoredToken;
    if (status === 'reused') {
      await this.revoke(session.familyId, ttlSeconds);
      return { status: 'reused', session };
    }
    return { status: 'rotated', session };
  }

  async revoke(familyId: string, ttlSeconds: number): Promise<void> {
    const members = await this.redis.smembers(this.familyKey(familyId));
    const multi = this.redis
      .multi()
      .set(this.revokedKey(familyId), '1', 'EX', ttlSeconds)
      .del(this.familyKey(familyId));
    if (members.length > 0) multi.del(...members);
    await multi.exec();
  }

  async isRevoked(familyId: string): Promise<boolean> {
    return (await this.redis.exists(this.revokedKey(familyId))) === 1;
  }

  async lookup(tokenHash: string): Promise<Session | undefined> {
    const raw = await this.redis.get(this.tokenKey(tokenHash));
    if (!raw) return undefined;
    const { used: _used, ...session } = JSON.parse(raw) as StoredToken;
    return session;
  }

  async close(): Promise<void> {}
}
