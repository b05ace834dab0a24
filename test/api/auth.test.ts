import { sql } from 'kysely';
import jwt from 'jsonwebtoken';
import { createSecretKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../infrastructure/database/database.js';
import { needs, services } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const ready = needs('postgres').skip || needs('redis').skip;

describe.skipIf(ready)(`accounts and sessions over HTTP${ready ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger();
  });
  afterAll(() => ledger?.close());

  const problem = (type: string) => expect.objectContaining({ type: `https://compliance-ledger.dev/problems/${type}` });

  describe('registration', () => {
    it('creates the organisation and its administrator, and mails a verification link', async () => {
      const email = `new-${Date.now()}@example.com`;
      const response = await ledger.request<{ data: { userId: string; tenantId: string }; meta: { position: string } }>(
        'POST',
        '/auth/register',
        {
          body: { email, password: 'a long enough password', name: 'Grace', organizationName: 'Hopper IT' },
        },
      );
      expect(response.status).toBe(201);
      expect(response.body.data).toEqual({ userId: expect.any(String), tenantId: expect.any(String) });
      // No log position: one that moved only for new addresses would tell them from addresses with an account.
      expect(response.body.meta.position).toBeNull();
      const mail = ledger.lastMailTo(email);
      expect(mail).toContain('Subject: Confirm your email for Compliance Ledger');
      expect(mail).toMatch(
        new RegExp(`token=${response.body.data.tenantId}\\.${response.body.data.userId}\\.[A-Za-z0-9_-]{43}`),
      );

      const login = await ledger.request('POST', '/auth/login', {
        body: { email, password: 'a long enough password' },
      });
      expect(login.status).toBe(403);
      expect(login.body).toEqual(problem('email-not-verified'));
    });

    it('answers a second registration of an address, whatever its case, as the first, and tells the owner instead', async () => {
      const user = await ledger.signUp();
      const fresh = await ledger.request<{ data: object; meta: { position: string } }>('POST', '/auth/register', {
        body: { email: `fresh-${user.email}`, password: 'another long password', name: 'X', organizationName: 'Y' },
      });
      const again = await ledger.request<{ data: object; meta: { position: string } }>('POST', '/auth/register', {
        body: { email: user.email.toUpperCase(), password: 'another long password', name: 'X', organizationName: 'Y' },
      });
      // Nothing in the answer tells the two apart.
      for (const answer of [fresh, again]) {
        expect(answer.status).toBe(201);
        expect(answer.body.data).toEqual({ userId: expect.any(String), tenantId: expect.any(String) });
        expect(answer.body.meta.position).toBeNull();
      }
      expect(again.headers.get('etag')).toBe(fresh.headers.get('etag'));
      expect(ledger.lastMailTo(user.email)).toContain('Subject: Your Compliance Ledger account');
      // The account is untouched, and nothing was created with the second password.
      expect(
        (await ledger.request('POST', '/auth/login', { body: { email: user.email, password: user.password } })).status,
      ).toBe(200);
      const second = await ledger.request('POST', '/auth/login', {
        body: { email: user.email, password: 'another long password' },
      });
      expect(second.status).toBe(401);
    });

    it('names every field at fault in a malformed body', async () => {
      const response = await ledger.request('POST', '/auth/register', {
        body: { email: 'not-an-email', password: 'short', organizationName: 'Y', admin: true },
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const fields = (response.body as { errors: Array<{ field: string }> }).errors.map((e) => e.field).sort();
      expect(fields).toEqual(expect.arrayContaining(['admin', 'email', 'password']));
      expect(JSON.stringify(response.body)).toMatch(/name/);
    });

    it('refuses JSON that does not parse and bodies over the limit, without a 500', async () => {
      const broken = await ledger.request('POST', '/auth/register', { rawBody: '{"email": ' });
      expect(broken.status).toBe(400);
      expect(broken.body).toEqual(problem('malformed-body'));
      const huge = await ledger.request('POST', '/auth/register', {
        rawBody: JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(300_000), name: 'n', organizationName: 'o' }),
      });
      expect(huge.status).toBe(413);
      expect(huge.body).toEqual(problem('payload-too-large'));
    });

    it('says to send JSON when the body is not JSON, naming Content-Type', async () => {
      const form = await ledger.request('POST', '/auth/login', {
        rawBody: 'email=a%40b.co',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(form.status).toBe(415);
      expect(form.body).toMatchObject({
        detail: expect.stringMatching(/application\/x-www-form-urlencoded.*application\/json/),
        errors: [{ field: 'Content-Type' }],
      });
    });

    it('lets the owner of an address whose verification link was lost in by a password reset', async () => {
      const email = `lost-link-${crypto.randomUUID()}@example.com`;
      await ledger.request('POST', '/auth/register', {
        body: { email, password: 'a long enough password', name: 'L', organizationName: 'Lost Link MSP' },
      });
      expect((await ledger.request('POST', '/auth/reset-password/request', { body: { email } })).status).toBe(202);
      const token = /reset-password\?token=([A-Za-z0-9._-]+)/.exec(ledger.lastMailTo(email))![1]!;
      const reset = await ledger.request('POST', '/auth/reset-password', {
        body: { token, password: 'another long enough password' },
      });
      expect(reset.status).toBe(204);
      const login = await ledger.request('POST', '/auth/login', {
        body: { email, password: 'another long enough password' },
      });
      expect(login.status).toBe(200);
    });

    it('rejects a tampered verification link', async () => {
      const response = await ledger.request('POST', '/auth/verify-email', {
        body: { token: `${crypto.randomUUID()}.${crypto.randomUUID()}.${'A'.repeat(43)}` },
      });
      expect(response.status).toBe(422);
      expect(response.body).toMatchObject({ errors: [{ field: 'token' }] });
    });
  });

  describe('sessions', () => {
    it('answers tokens that no cache keeps, and a 401 that names the Bearer scheme', async () => {
      const user = await ledger.signUp();
      const login = await ledger.request('POST', '/auth/login', {
        body: { email: user.email, password: user.password },
      });
      expect(login.headers.get('cache-control')).toBe('no-store');
      const refreshed = await ledger.request('POST', '/auth/refresh', { body: { refreshToken: user.refreshToken } });
      expect(refreshed.headers.get('cache-control')).toBe('no-store');
      const anonymous = await ledger.request('GET', '/auth/me');
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer /);
    });

    it('logs in and says who the caller is', async () => {
      const user = await ledger.signUp();
      const me = await ledger.request<{ data: Record<string, unknown> }>('GET', '/auth/me', {
        token: user.accessToken,
      });
      expect(me.status).toBe(200);
      expect(me.body.data).toMatchObject({
        userId: user.userId,
        tenantId: user.tenantId,
        email: user.email,
        role: 'msp_admin',
        emailVerified: true,
        permissions: expect.arrayContaining(['client:write', 'policy:approve']),
      });
    });

    it('refuses a wrong password, a missing token, a forged token and an expired one', async () => {
      const user = await ledger.signUp();
      expect(
        (await ledger.request('POST', '/auth/login', { body: { email: user.email, password: 'wrong password!' } }))
          .body,
      ).toEqual(problem('invalid-credentials'));
      expect(
        (
          await ledger.request('POST', '/auth/login', {
            body: { email: 'nobody@example.com', password: 'whatever123' },
          })
        ).status,
      ).toBe(401);
      expect((await ledger.request('GET', '/auth/me')).body).toEqual(problem('unauthenticated'));
      const forged = jwt.sign(
        { tid: user.tenantId, role: 'msp_admin', sid: 's' },
        'another secret of sufficient length!!',
        { subject: user.userId, expiresIn: 60 },
      );
      expect((await ledger.request('GET', '/auth/me', { token: forged })).body).toEqual(problem('invalid-token'));
      const key = createSecretKey(Buffer.from(ledger.config.JWT_SECRET!, 'utf8'));
      const expired = jwt.sign(
        { tid: user.tenantId, role: 'msp_admin', cid: null, sid: 's', exp: Math.floor(Date.now() / 1000) - 10 },
        key,
        { subject: user.userId },
      );
      const response = await ledger.request('GET', '/auth/me', { token: expired });
      expect(response.status).toBe(401);
      expect(response.body).toEqual(problem('token-expired'));
    });

    it('rotates refresh tokens and ends the session when an old one is reused', async () => {
      const user = await ledger.signUp();
      const first = await ledger.request<{ data: { accessToken: string; refreshToken: string } }>(
        'POST',
        '/auth/refresh',
        { body: { refreshToken: user.refreshToken } },
      );
      expect(first.status).toBe(200);
      expect(first.body.data.refreshToken).not.toBe(user.refreshToken);
      expect((await ledger.request('GET', '/auth/me', { token: first.body.data.accessToken })).status).toBe(200);

      const reuse = await ledger.request('POST', '/auth/refresh', { body: { refreshToken: user.refreshToken } });
      expect(reuse.status).toBe(401);
      expect(reuse.body).toEqual(problem('refresh-token-reused'));
      // The whole family is gone: the newest refresh token and every access token of the session.
      expect(
        (await ledger.request('POST', '/auth/refresh', { body: { refreshToken: first.body.data.refreshToken } }))
          .status,
      ).toBe(401);
      expect((await ledger.request('GET', '/auth/me', { token: first.body.data.accessToken })).body).toEqual(
        problem('session-revoked'),
      );
      expect((await ledger.request('GET', '/auth/me', { token: user.accessToken })).status).toBe(401);
    });

    it('makes both tokens unusable at once on logout', async () => {
      const user = await ledger.signUp();
      const logout = await ledger.request('POST', '/auth/logout', {
        body: { refreshToken: user.refreshToken },
        token: user.accessToken,
      });
      expect(logout.status).toBe(204);
      expect((await ledger.request('GET', '/auth/me', { token: user.accessToken })).status).toBe(401);
      expect(
        (await ledger.request('POST', '/auth/refresh', { body: { refreshToken: user.refreshToken } })).status,
      ).toBe(401);
    });

    it('limits failed logins per account with 429 and Retry-After', async () => {
      const user = await ledger.signUp('limited');
      for (let i = 0; i < 5; i++) {
        expect(
          (
            await ledger.request('POST', '/auth/login', {
              body: { email: user.email, password: `wrong-${i}-password` },
            })
          ).status,
        ).toBe(401);
      }
      const blocked = await ledger.request('POST', '/auth/login', {
        body: { email: user.email, password: user.password },
      });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(blocked.body).toEqual(problem('too-many-attempts'));
    });
  });

  it('keeps passwords, emails and names out of the event log', async () => {
    const user = await ledger.signUp('private');
    const database = await openDatabase({
      kind: 'postgres',
      url: services.databaseUrl!,
      schema: ledger.config.DATABASE_SCHEMA,
      poolSize: 1,
    });
    try {
      const { rows } = await sql<{
        text: string;
      }>`select data::text || metadata::text || stream_id as text from events`.execute(database.db);
      const log = rows.map((r) => r.text).join('\n');
      expect(log).toContain(user.userId);
      for (const secret of [user.password, user.email, 'Ada Admin', '$argon2id']) expect(log).not.toContain(secret);
    } finally {
      await database.close();
    }
  });
});
