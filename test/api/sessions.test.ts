import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

interface Listed {
  sessionId: string;
  device: string;
  address: string | null;
  createdAt: string;
  lastUsedAt: string;
  current: boolean;
}

describe.skipIf(skip)(
  `your password and your sessions over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`,
  () => {
    let ledger: TestLedger;
    beforeAll(async () => {
      ledger = await startTestLedger();
    });
    afterAll(() => ledger?.close());

    const login = async (user: { email: string; password: string }, userAgent?: string) => {
      const answer = await ledger.request<{ data: { accessToken: string; refreshToken: string } }>(
        'POST',
        '/auth/login',
        { body: { email: user.email, password: user.password }, headers: userAgent ? { 'user-agent': userAgent } : {} },
      );
      expect(answer.status).toBe(200);
      return answer.body.data;
    };
    const refresh = (refreshToken: string) =>
      ledger.request<{ data: { refreshToken: string } }>('POST', '/auth/refresh', { body: { refreshToken } });
    const list = (token: string) =>
      ledger.request<{ data: Listed[]; meta: { total: number } }>('GET', '/auth/sessions', { token });

    it('changes the password, ending the other sessions and keeping this one', async () => {
      const user = await ledger.signUp('pw');
      const other = await login(user);
      const here = await login(user);
      const changed = await ledger.request('POST', '/auth/password', {
        token: here.accessToken,
        body: { currentPassword: user.password, newPassword: 'a brand new long password' },
      });
      expect(changed.status).toBe(204);
      // The others: their refresh and their access tokens stop at once.
      expect((await refresh(other.refreshToken)).status).toBe(401);
      expect((await refresh(user.refreshToken)).status).toBe(401);
      expect((await ledger.request('GET', '/auth/me', { token: other.accessToken })).status).toBe(401);
      // This one goes on.
      expect((await ledger.request('GET', '/auth/me', { token: here.accessToken })).status).toBe(200);
      expect((await refresh(here.refreshToken)).status).toBe(200);
      // The new password is the one that logs in.
      expect(
        (await ledger.request('POST', '/auth/login', { body: { email: user.email, password: user.password } })).status,
      ).toBe(401);
      await login({ email: user.email, password: 'a brand new long password' });
    });

    it('refuses a wrong current password and a short new one, changing nothing', async () => {
      const user = await ledger.signUp('pw');
      const wrong = await ledger.request('POST', '/auth/password', {
        token: user.accessToken,
        body: { currentPassword: 'not my password at all', newPassword: 'a brand new long password' },
      });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toMatchObject({ errors: [{ field: 'currentPassword' }] });
      const short = await ledger.request('POST', '/auth/password', {
        token: user.accessToken,
        body: { currentPassword: user.password, newPassword: 'short' },
      });
      expect(short.status).toBe(400);
      expect(short.body).toMatchObject({ errors: [{ field: 'newPassword' }] });
      await login(user);
    });

    it('lists your sessions with device, address, times and which one is asking', async () => {
      const user = await ledger.signUp('list');
      const firefox = await login(user, FIREFOX);
      const phone = await login(user, SAFARI);
      const refreshed = await refresh(phone.refreshToken);
      expect(refreshed.status).toBe(200);

      const answer = await list(firefox.accessToken);
      expect(answer.status).toBe(200);
      expect(answer.body.meta.total).toBe(3); // sign-up's login, and these two
      const byDevice = Object.fromEntries(answer.body.data.map((s) => [s.device, s]));
      expect(byDevice['Firefox on Linux']).toMatchObject({ current: true, address: expect.any(String) });
      expect(byDevice['Safari on iOS']).toMatchObject({ current: false });
      const phoneSession = byDevice['Safari on iOS']!;
      expect(Date.parse(phoneSession.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(phoneSession.createdAt));
      expect(answer.body.data.filter((s) => s.current)).toHaveLength(1);
    });

    it('ends one of your own sessions, and no one else’s', async () => {
      const user = await ledger.signUp('end');
      const stranger = await ledger.signUp('stranger');
      const doomed = await login(user, FIREFOX);
      const sessions = (await list(user.accessToken)).body.data;
      const target = sessions.find((s) => s.device === 'Firefox on Linux')!;

      // Someone else's session is as missing as one that never was.
      const strangers = await ledger.request('DELETE', `/auth/sessions/${target.sessionId}`, {
        token: stranger.accessToken,
      });
      expect(strangers.status).toBe(404);
      const missing = await ledger.request('DELETE', `/auth/sessions/${crypto.randomUUID()}`, {
        token: user.accessToken,
      });
      expect(missing.status).toBe(404);
      expect((await refresh(doomed.refreshToken)).status).toBe(200);

      const doomedNow = (await list(user.accessToken)).body.data.find((s) => s.device === 'Firefox on Linux')!;
      const ended = await ledger.request('DELETE', `/auth/sessions/${doomedNow.sessionId}`, {
        token: user.accessToken,
      });
      expect(ended.status).toBe(204);
      const after = (await list(user.accessToken)).body.data;
      expect(after.map((s) => s.sessionId)).not.toContain(doomedNow.sessionId);
      expect((await ledger.request('GET', '/auth/me', { token: user.accessToken })).status).toBe(200);
      // The stranger's own sessions are untouched.
      expect((await list(stranger.accessToken)).body.meta.total).toBe(1);
    });

    it('ends the refresh and access tokens of the session it ended', async () => {
      const user = await ledger.signUp('end');
      const doomed = await login(user, FIREFOX);
      const target = (await list(user.accessToken)).body.data.find((s) => s.device === 'Firefox on Linux')!;
      expect(
        (await ledger.request('DELETE', `/auth/sessions/${target.sessionId}`, { token: user.accessToken })).status,
      ).toBe(204);
      expect((await refresh(doomed.refreshToken)).status).toBe(401);
      expect((await ledger.request('GET', '/auth/me', { token: doomed.accessToken })).status).toBe(401);
    });
  },
);
