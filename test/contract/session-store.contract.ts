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
