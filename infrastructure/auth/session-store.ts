import type { Redis } from 'ioredis';

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
 * Tokens are stored by their SHA-256 only. Adapters: Redis (production) and in-process (embedded default); one
 * contract suite (test/contract/session-store.contract.ts) runs against both.
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

interface StoredToken extends Session {
  used: boolean;
}

export class MemorySessionStore implements SessionStore {
  private readonly tokens = new Map<string, { value: StoredToken; expires: number }>();
  private readonly revoked = new Map<string, number>();
  private readonly families = new Map<string, Set<string>>();
  private readonly userFamilies = new Map<string, Set<string>>();

  constructor(private readonly now: () => number = Date.now) {}

  async start(session: Session, tokenHash: string, ttlSeconds: number): Promise<void> {
    this.put(tokenHash, { ...session, used: false }, ttlSeconds);
    let families = this.userFamilies.get(session.userId);
    if (!families) this.userFamilies.set(session.userId, (families = new Set()));
    families.add(session.familyId);
  }

  async revokeUser(userId: string, ttlSeconds: number): Promise<void> {
    for (const familyId of this.userFamilies.get(userId) ?? []) await this.revoke(familyId, ttlSeconds);
    this.userFamilies.delete(userId);
  }

  async rotate(tokenHash: string, nextHash: string, ttlSeconds: number): Promise<RotationResult> {
    const stored = this.get(tokenHash);
    if (!stored) return { status: 'unknown' };
    const { used, ...session } = stored.value;
    if (used || this.isRevokedNow(session.familyId)) {
      await this.revoke(session.familyId, ttlSeconds);
      return { status: 'reused', session };
    }
    stored.value.used = true;
    this.put(nextHash, { ...session, used: false }, ttlSeconds);
    return { status: 'rotated', session };
  }

  async revoke(familyId: string, ttlSeconds: number): Promise<void> {
    this.revoked.set(familyId, this.now() + ttlSeconds * 1000);
    for (const hash of this.families.get(familyId) ?? []) this.tokens.delete(hash);
    this.families.delete(familyId);
  }

  async isRevoked(familyId: string): Promise<boolean> {
    return this.isRevokedNow(familyId);
  }

  async lookup(tokenHash: string): Promise<Session | undefined> {
    const stored = this.get(tokenHash);
    if (!stored) return undefined;
    const { used: _used, ...session } = stored.value;
    return session;
  }

  async close(): Promise<void> {}

  private isRevokedNow(familyId: string): boolean {
    const until = this.revoked.get(familyId);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.revoked.delete(familyId);
    return false;
  }

  private put(hash: string, value: StoredToken, ttlSeconds: number): void {
    this.tokens.set(hash, { value, expires: this.now() + ttlSeconds * 1000 });
    let family = this.families.get(value.familyId);
    if (!family) this.families.set(value.familyId, (family = new Set()));
    family.add(hash);
  }

  private get(hash: string): { value: StoredToken; expires: number } | undefined {
    const stored = this.tokens.get(hash);
    if (stored && stored.expires <= this.now()) {
      this.tokens.delete(hash);
      return undefined;
    }
    return stored;
  }
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
