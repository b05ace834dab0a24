import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { Database } from '../database/database.js';

/** One login: every refresh token issued from it belongs to the same family. */
export interface Session {
  familyId: string;
  userId: string;
  tenantId: string;
}

/** Where a session was started from, as the login request said (shown to its user in their list of sessions). */
export interface SessionDetails {
  userAgent: string | null;
  address: string | null;
}

/** One of a user's live sessions, as they see it listed. */
export interface SessionInfo extends SessionDetails {
  familyId: string;
  /** ISO times: the login, and the newest refresh (or the login). */
  createdAt: string;
  lastUsedAt: string;
}

/** Who a pending second step of a login belongs to. */
export interface ChallengeSubject {
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
  start(session: Session, tokenHash: string, ttlSeconds: number, details?: SessionDetails): Promise<void>;
  /** Exchanges a refresh token for a new one in the same family, once; the family's last use is now. */
  rotate(tokenHash: string, nextHash: string, ttlSeconds: number): Promise<RotationResult>;
  /** Ends a family: its refresh tokens stop working and its access tokens are refused from now on. */
  revoke(familyId: string, ttlSeconds: number): Promise<void>;
  isRevoked(familyId: string): Promise<boolean>;
  /** Ends every session of a user (password reset, deactivation, erasure), or all but one (a password change). */
  revokeUser(userId: string, ttlSeconds: number, options?: { except?: string }): Promise<void>;
  /** A user's live sessions, newest first. */
  list(userId: string): Promise<SessionInfo[]>;
  /** Keeps the second step of a login (multi-factor sign-in) for ttlSeconds, by its hash. */
  createChallenge(challengeHash: string, subject: ChallengeSubject, ttlSeconds: number): Promise<void>;
  /** Whose a live challenge is; a wrong code leaves it in place. */
  findChallenge(challengeHash: string): Promise<ChallengeSubject | undefined>;
  /** Ends a challenge; true for exactly one caller, so that one challenge gives one session. */
  consumeChallenge(challengeHash: string): Promise<boolean>;
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

  async start(session: Session, tokenHash: string, ttlSeconds: number, details?: SessionDetails): Promise<void> {
    await this.sweepIfDue();
    await sql`
      with family as (
        insert into session_families (family_id, user_id, tenant_id, user_agent, address, expires_at)
        values (${session.familyId}, ${session.userId}, ${session.tenantId}, ${details?.userAgent ?? null},
                ${details?.address ?? null}, ${expiresIn(ttlSeconds)})
        on conflict (family_id) do nothing
      )
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
      ), used as (
        update session_families f set last_used_at = now(), expires_at = ${expiresIn(ttlSeconds)}
          from claimed c where f.family_id = c.family_id
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
      with ended as (delete from session_tokens where family_id = ${familyId}),
           listed as (delete from session_families where family_id = ${familyId})
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

  async revokeUser(userId: string, ttlSeconds: number, options: { except?: string } = {}): Promise<void> {
    await this.sweepIfDue();
    const except = options.except ?? null;
    await sql`
      with ended as (
        delete from session_tokens
         where user_id = ${userId} and (${except}::text is null or family_id <> ${except}::text)
        returning family_id
      ), listed as (
        delete from session_families
         where user_id = ${userId} and (${except}::text is null or family_id <> ${except}::text)
        returning family_id
      )
      insert into revoked_sessions (family_id, expires_at)
      select family_id, ${expiresIn(ttlSeconds)}
        from (select family_id from ended union select family_id from listed) as families
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

  async list(userId: string): Promise<SessionInfo[]> {
    const { rows } = await sql<{
      family_id: string;
      user_agent: string | null;
      address: string | null;
      created_at: Date | string;
      last_used_at: Date | string;
    }>`
      select f.family_id, f.user_agent, f.address, f.created_at, f.last_used_at from session_families f
       where f.user_id = ${userId} and f.expires_at > now()
         and not exists (select 1 from revoked_sessions r where r.family_id = f.family_id and r.expires_at > now())
       order by f.created_at desc, f.family_id`.execute(this.database.db);
    return rows.map((row) => ({
      familyId: row.family_id,
      userAgent: row.user_agent,
      address: row.address,
      createdAt: new Date(row.created_at).toISOString(),
      lastUsedAt: new Date(row.last_used_at).toISOString(),
    }));
  }

  async createChallenge(challengeHash: string, subject: ChallengeSubject, ttlSeconds: number): Promise<void> {
    await this.sweepIfDue();
    await sql`
      insert into mfa_challenges (challenge_hash, user_id, tenant_id, expires_at)
      values (${challengeHash}, ${subject.userId}, ${subject.tenantId}, ${expiresIn(ttlSeconds)})`.execute(
      this.database.db,
    );
  }

  async findChallenge(challengeHash: string): Promise<ChallengeSubject | undefined> {
    const { rows } = await sql<{ user_id: string; tenant_id: string }>`
      select user_id, tenant_id from mfa_challenges
       where challenge_hash = ${challengeHash} and expires_at > now()`.execute(this.database.db);
    return rows[0] ? { userId: rows[0].user_id, tenantId: rows[0].tenant_id } : undefined;
  }

  async consumeChallenge(challengeHash: string): Promise<boolean> {
    const { rows } = await sql`
      delete from mfa_challenges where challenge_hash = ${challengeHash} and expires_at > now()
      returning challenge_hash`.execute(this.database.db);
    return rows.length > 0;
  }

  /** The database belongs to the process, which closes it. */
  async close(): Promise<void> {}

  private async sweepIfDue(): Promise<void> {
    if (Date.now() < this.nextSweep) return;
    this.nextSweep = Date.now() + (this.options.sweepIntervalMs ?? 60_000);
    await sql`delete from session_tokens where expires_at <= now()`.execute(this.database.db);
    await sql`delete from revoked_sessions where expires_at <= now()`.execute(this.database.db);
    await sql`delete from session_families where expires_at <= now()`.execute(this.database.db);
    await sql`delete from mfa_challenges where expires_at <= now()`.execute(this.database.db);
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
  private infoKey = (familyId: string): string => `${this.prefix}info:${familyId}`;
  private challengeKey = (hash: string): string => `${this.prefix}challenge:${hash}`;

  async start(session: Session, tokenHash: string, ttlSeconds: number, details?: SessionDetails): Promise<void> {
    const key = this.tokenKey(tokenHash);
    const now = new Date().toISOString();
    const info: SessionInfo = {
      familyId: session.familyId,
      userAgent: details?.userAgent ?? null,
      address: details?.address ?? null,
      createdAt: now,
      lastUsedAt: now,
    };
    await this.redis
      .multi()
      .set(key, JSON.stringify({ ...session, used: false }), 'EX', ttlSeconds)
      .set(this.infoKey(session.familyId), JSON.stringify(info), 'EX', ttlSeconds, 'NX')
      .sadd(this.familyKey(session.familyId), key)
      .expire(this.familyKey(session.familyId), ttlSeconds)
      .sadd(this.userKey(session.userId), session.familyId)
      .expire(this.userKey(session.userId), ttlSeconds)
      .exec();
  }

  async revokeUser(userId: string, ttlSeconds: number, options: { except?: string } = {}): Promise<void> {
    const families = await this.redis.smembers(this.userKey(userId));
    for (const familyId of families) if (familyId !== options.except) await this.revoke(familyId, ttlSeconds);
    if (options.except && families.includes(options.except)) {
      const others = families.filter((familyId) => familyId !== options.except);
      if (others.length > 0) await this.redis.srem(this.userKey(userId), ...others);
    } else {
      await this.redis.del(this.userKey(userId));
    }
  }

  async list(userId: string): Promise<SessionInfo[]> {
    const families = await this.redis.smembers(this.userKey(userId));
    if (families.length === 0) return [];
    const [infos, revoked] = await Promise.all([
      this.redis.mget(families.map(this.infoKey)),
      Promise.all(families.map((familyId) => this.isRevoked(familyId))),
    ]);
    return infos
      .flatMap((raw, i) => (raw && !revoked[i] ? [JSON.parse(raw) as SessionInfo] : []))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.familyId.localeCompare(b.familyId));
  }

  async createChallenge(challengeHash: string, subject: ChallengeSubject, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.challengeKey(challengeHash), JSON.stringify(subject), 'EX', ttlSeconds);
  }

  async findChallenge(challengeHash: string): Promise<ChallengeSubject | undefined> {
    const raw = await this.redis.get(this.challengeKey(challengeHash));
    return raw ? (JSON.parse(raw) as ChallengeSubject) : undefined;
  }

  async consumeChallenge(challengeHash: string): Promise<boolean> {
    return (await this.redis.del(this.challengeKey(challengeHash))) === 1;
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
    await this.touch(session.familyId, ttlSeconds);
    return { status: 'rotated', session };
  }

  async revoke(familyId: string, ttlSeconds: number): Promise<void> {
    const members = await this.redis.smembers(this.familyKey(familyId));
    const multi = this.redis
      .multi()
      .set(this.revokedKey(familyId), '1', 'EX', ttlSeconds)
      .del(this.familyKey(familyId))
      .del(this.infoKey(familyId));
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

  /** A refresh: the family's last use is now, and its listing lives as long as its newest token. */
  private async touch(familyId: string, ttlSeconds: number): Promise<void> {
    const raw = await this.redis.get(this.infoKey(familyId));
    if (!raw) return;
    const info = { ...(JSON.parse(raw) as SessionInfo), lastUsedAt: new Date().toISOString() };
    // XX: a revocation that slipped in between keeps the listing gone.
    await this.redis.set(this.infoKey(familyId), JSON.stringify(info), 'EX', ttlSeconds, 'XX');
  }
}
