import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opaqueToken } from '../../infrastructure/auth/tokens.js';
import type { SessionStore } from '../../infrastructure/auth/session-store.js';

export interface SessionStoreHarness {
  store: SessionStore;
  /** Closes the store and its connection, and opens a new store over the same backing service: a restart. */
  restart(): Promise<SessionStore>;
  /** Closes the current store and removes what the suite wrote. */
  cleanup(): Promise<void>;
}

/** One suite for every SessionStore adapter (Redis, and the database one on PostgreSQL and PGlite). */
export function sessionStoreContract(adapter: string, make: () => Promise<SessionStoreHarness>, skip?: string): void {
  describe.skipIf(Boolean(skip))(`SessionStore contract: ${adapter}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let harness: SessionStoreHarness;
    let store: SessionStore;
    beforeAll(async () => {
      harness = await make();
      store = harness.store;
    });
    afterAll(async () => {
      await harness?.cleanup();
    });
    const session = () => ({ familyId: randomUUID(), userId: randomUUID(), tenantId: randomUUID() });

    it('rotates a refresh token once, into a new one of the same family', async () => {
      const s = session();
      const first = opaqueToken();
      const second = opaqueToken();
      await store.start(s, first.hash, 60);
      expect(await store.lookup(first.hash)).toEqual(s);
      expect(await store.rotate(first.hash, second.hash, 60)).toEqual({ status: 'rotated', session: s });
      expect(await store.lookup(second.hash)).toEqual(s);
      expect(await store.isRevoked(s.familyId)).toBe(false);
    });

    it('revokes the whole family when a used token comes back', async () => {
      const s = session();
      const [first, second, third] = [opaqueToken(), opaqueToken(), opaqueToken()];
      await store.start(s, first.hash, 60);
      await store.rotate(first.hash, second.hash, 60);
      expect(await store.rotate(first.hash, third.hash, 60)).toEqual({ status: 'reused', session: s });
      expect(await store.isRevoked(s.familyId)).toBe(true);
      expect(await store.rotate(second.hash, opaqueToken().hash, 60)).toEqual({ status: 'unknown' });
      expect(await store.lookup(third.hash)).toBeUndefined();
    });

    it('lets only one of two concurrent refreshes with the same token win', async () => {
      const s = session();
      const first = opaqueToken();
      await store.start(s, first.hash, 60);
      const results = await Promise.all([
        store.rotate(first.hash, opaqueToken().hash, 60),
        store.rotate(first.hash, opaqueToken().hash, 60),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['reused', 'rotated']);
      expect(await store.isRevoked(s.familyId)).toBe(true);
    });

    it('forgets unknown and expired tokens', async () => {
      expect(await store.rotate(opaqueToken().hash, opaqueToken().hash, 60)).toEqual({ status: 'unknown' });
      const s = session();
      const short = opaqueToken();
      await store.start(s, short.hash, 1);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect(await store.rotate(short.hash, opaqueToken().hash, 60)).toEqual({ status: 'unknown' });
    });

    it("ends every session of a user, and only that user's", async () => {
      const userId = randomUUID();
      const a = { ...session(), userId };
      const b = { ...session(), userId };
      const stranger = session();
      const [ta, tb, ts] = [opaqueToken(), opaqueToken(), opaqueToken()];
      await store.start(a, ta.hash, 60);
      await store.start(b, tb.hash, 60);
      await store.start(stranger, ts.hash, 60);
      await store.revokeUser(userId, 60);
      expect(await store.isRevoked(a.familyId)).toBe(true);
      expect(await store.isRevoked(b.familyId)).toBe(true);
      expect(await store.rotate(tb.hash, opaqueToken().hash, 60)).toEqual({ status: 'unknown' });
      expect(await store.isRevoked(stranger.familyId)).toBe(false);
      expect(await store.lookup(ts.hash)).toEqual(stranger);
    });

    it("ends a user's session that has outlived its first refresh token", async () => {
      const s = session();
      const [first, second] = [opaqueToken(), opaqueToken()];
      await store.start(s, first.hash, 1);
      await store.rotate(first.hash, second.hash, 60);
      await expect.poll(() => store.lookup(first.hash), { timeout: 5_000 }).toBeUndefined();
      await store.revokeUser(s.userId, 60);
      expect(await store.isRevoked(s.familyId)).toBe(true);
      expect(await store.rotate(second.hash, opaqueToken().hash, 60)).toEqual({ status: 'unknown' });
    });

    it('revokes a family on logout', async () => {
      const s = session();
      const token = opaqueToken();
      await store.start(s, token.hash, 60);
      await store.revoke(s.familyId, 60);
      expect(await store.isRevoked(s.familyId)).toBe(true);
      expect(await store.rotate(token.hash, opaqueToken().hash, 60)).toEqual({ status: 'unknown' });
    });

    it("lists a user's live sessions with their details, and a refresh as their last use", async () => {
      const userId = randomUUID();
      const a = { ...session(), userId };
      const b = { ...session(), userId };
      const [ta, tb] = [opaqueToken(), opaqueToken()];
      await store.start(a, ta.hash, 60, { userAgent: 'Firefox', address: '203.0.113.7' });
      await store.start(b, tb.hash, 60);
      await store.start(session(), opaqueToken().hash, 60); // someone else's
      const listed = await store.list(userId);
      expect(listed.map((s) => s.familyId).sort()).toEqual([a.familyId, b.familyId].sort());
      const first = listed.find((s) => s.familyId === a.familyId)!;
      expect(first).toEqual({
        familyId: a.familyId,
        userAgent: 'Firefox',
        address: '203.0.113.7',
        createdAt: expect.any(String),
        lastUsedAt: first.createdAt,
      });
      expect(listed.find((s) => s.familyId === b.familyId)).toMatchObject({ userAgent: null, address: null });
      // A refresh is the session's last use (polled: on a fast clock the first may fall in the login's millisecond).
      let token = ta;
      await expect
        .poll(
          async () => {
            const next = opaqueToken();
            expect((await store.rotate(token.hash, next.hash, 60)).status).toBe('rotated');
            token = next;
            const now = (await store.list(userId)).find((s) => s.familyId === a.familyId)!;
            return Date.parse(now.lastUsedAt) > Date.parse(now.createdAt) && now.createdAt === first.createdAt;
          },
          { timeout: 5_000 },
        )
        .toBe(true);
      await store.revoke(b.familyId, 60);
      expect((await store.list(userId)).map((s) => s.familyId)).toEqual([a.familyId]);
    });

    it("ends all of a user's sessions but one (a password change)", async () => {
      const userId = randomUUID();
      const [kept, ended, other] = [{ ...session(), userId }, { ...session(), userId }, session()];
      const [tk, te, to] = [opaqueToken(), opaqueToken(), opaqueToken()];
      await store.start(kept, tk.hash, 60);
      await store.start(ended, te.hash, 60);
      await store.start(other, to.hash, 60);
      await store.revokeUser(userId, 60, { except: kept.familyId });
      expect(await store.isRevoked(ended.familyId)).toBe(true);
      expect(await store.rotate(te.hash, opaqueToken().hash, 60)).toEqual({ status: 'unknown' });
      expect(await store.isRevoked(kept.familyId)).toBe(false);
      expect((await store.list(userId)).map((s) => s.familyId)).toEqual([kept.familyId]);
      expect(await store.rotate(tk.hash, opaqueToken().hash, 60)).toEqual({ status: 'rotated', session: kept });
      expect(await store.isRevoked(other.familyId)).toBe(false);
      // The kept one is still found when all of them end.
      await store.revokeUser(userId, 60);
      expect(await store.isRevoked(kept.familyId)).toBe(true);
      expect(await store.list(userId)).toEqual([]);
    });

    it('keeps a login challenge until one caller consumes it, and forgets it when it expires', async () => {
      const subject = { userId: randomUUID(), tenantId: randomUUID() };
      const challenge = opaqueToken();
      await store.createChallenge(challenge.hash, subject, 60);
      expect(await store.findChallenge(challenge.hash)).toEqual(subject);
      expect(await store.findChallenge(opaqueToken().hash)).toBeUndefined();
      const consumed = await Promise.all([
        store.consumeChallenge(challenge.hash),
        store.consumeChallenge(challenge.hash),
      ]);
      expect(consumed.sort()).toEqual([false, true]);
      expect(await store.findChallenge(challenge.hash)).toBeUndefined();
      const short = opaqueToken();
      await store.createChallenge(short.hash, subject, 1);
      await expect.poll(() => store.findChallenge(short.hash), { timeout: 5_000 }).toBeUndefined();
      expect(await store.consumeChallenge(short.hash)).toBe(false);
    });

    it('keeps sessions, rotations and revocations across a restart', async () => {
      const loggedOut = session();
      const loggedOutToken = opaqueToken();
      await store.start(loggedOut, loggedOutToken.hash, 60);
      await store.revoke(loggedOut.familyId, 60);
      const endedBefore = session();
      const endedBeforeToken = opaqueToken();
      await store.start(endedBefore, endedBeforeToken.hash, 60);
      await store.revokeUser(endedBefore.userId, 60);
      const endedAfter = session();
      const endedAfterToken = opaqueToken();
      await store.start(endedAfter, endedAfterToken.hash, 60);
      const live = session();
      const [first, second, third] = [opaqueToken(), opaqueToken(), opaqueToken()];
      await store.start(live, first.hash, 60);
      await store.rotate(first.hash, second.hash, 60);
      const raced = session();
      const racedToken = opaqueToken();
      await store.start(raced, racedToken.hash, 60);

      store = await harness.restart();

      // Revocations made before the restart hold.
      expect(await store.isRevoked(loggedOut.familyId)).toBe(true);
      expect(await store.rotate(loggedOutToken.hash, opaqueToken().hash, 60)).toEqual({ status: 'unknown' });
      expect(await store.isRevoked(endedBefore.familyId)).toBe(true);
      expect(await store.rotate(endedBeforeToken.hash, opaqueToken().hash, 60)).toEqual({ status: 'unknown' });
      // A user's sessions from before the restart are still found to end them.
      await store.revokeUser(endedAfter.userId, 60);
      expect(await store.isRevoked(endedAfter.familyId)).toBe(true);
      expect(await store.lookup(endedAfterToken.hash)).toBeUndefined();
      // Sessions live on: the newest token rotates once, and the one used before the restart is a reuse.
      expect(await store.isRevoked(live.familyId)).toBe(false);
      expect(await store.lookup(second.hash)).toEqual(live);
      expect(await store.rotate(second.hash, third.hash, 60)).toEqual({ status: 'rotated', session: live });
      expect(await store.rotate(first.hash, opaqueToken().hash, 60)).toEqual({ status: 'reused', session: live });
      expect(await store.isRevoked(live.familyId)).toBe(true);
      expect(await store.rotate(third.hash, opaqueToken().hash, 60)).toEqual({ status: 'unknown' });
      // And a token issued before the restart is still exchanged only once.
      const results = await Promise.all([
        store.rotate(racedToken.hash, opaqueToken().hash, 60),
        store.rotate(racedToken.hash, opaqueToken().hash, 60),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['reused', 'rotated']);
      expect(await store.isRevoked(raced.familyId)).toBe(true);
    });
  });
}
