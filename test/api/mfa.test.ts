import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

type Body = { data: Record<string, unknown> & { challenge?: string; accessToken?: string } };

describe.skipIf(skip)(`multi-factor sign-in over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger();
  });
  afterAll(() => ledger?.close());

  const problem = (type: string) => expect.objectContaining({ type: `https://compliance-ledger.dev/problems/${type}` });
  /** The code an authenticator app shows `steps` periods of 30 s from now. */
  const codeOf = (secret: string, steps = 0) =>
    new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + steps * 30_000 });

  /**
   * A signed-up user with TOTP on, confirmed with the code of the step before now: the codes of now and of the next
   * step are still unused (each step works once).
   */
  async function enrolled() {
    const user = await ledger.signUp('mfa');
    const started = await ledger.request<{ data: { secret: string; otpauthUrl: string; qrCode: string } }>(
      'POST',
      '/auth/mfa/totp',
      { token: user.accessToken },
    );
    expect(started.status).toBe(201);
    const { secret } = started.body.data;
    const confirmed = await ledger.request<{ data: { recoveryCodes: string[] } }>('POST', '/auth/mfa/totp/confirm', {
      token: user.accessToken,
      body: { code: codeOf(secret, -1) },
    });
    expect(confirmed.status).toBe(200);
    return { ...user, secret, recoveryCodes: confirmed.body.data.recoveryCodes };
  }

  const login = (user: { email: string; password: string }) =>
    ledger.request<Body>('POST', '/auth/login', { body: { email: user.email, password: user.password } });
  const verify = (body: Record<string, string>) => ledger.request<Body>('POST', '/auth/mfa/verify', { body });

  it('enrols with a QR code and a confirming code, answers ten recovery codes, and keeps the secret sealed', async () => {
    const user = await ledger.signUp('mfa');
    const started = await ledger.request<{ data: { secret: string; otpauthUrl: string; qrCode: string } }>(
      'POST',
      '/auth/mfa/totp',
      { token: user.accessToken },
    );
    expect(started.status).toBe(201);
    const { secret, otpauthUrl, qrCode } = started.body.data;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUrl).toMatch(/^otpauth:\/\/totp\/Compliance%20Ledger:.+\?.*secret=/);
    expect(qrCode).toMatch(/^data:image\/png;base64,/);

    const wrong = await ledger.request('POST', '/auth/mfa/totp/confirm', {
      token: user.accessToken,
      body: { code: codeOf(secret, 5) },
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body).toMatchObject({ errors: [{ field: 'code' }] });
    const me = async () =>
      (await ledger.request<{ data: { mfaEnabled: boolean } }>('GET', '/auth/me', { token: user.accessToken })).body
        .data.mfaEnabled;
    expect(await me()).toBe(false);

    const confirmed = await ledger.request<{ data: { recoveryCodes: string[] } }>('POST', '/auth/mfa/totp/confirm', {
      token: user.accessToken,
      body: { code: codeOf(secret) },
    });
    expect(confirmed.status).toBe(200);
    const codes = confirmed.body.data.recoveryCodes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    expect(await me()).toBe(true);
    // On once: a second enrolment is refused until it is disabled.
    expect((await ledger.request('POST', '/auth/mfa/totp', { token: user.accessToken })).status).toBe(409);

    const stored = JSON.stringify(await ledger.storedEvents());
    expect(stored).not.toContain(secret);
    for (const code of codes) expect(stored).not.toContain(code);
    const started2 = (await ledger.storedEvents()).find((e) => e.type === 'TotpEnrolmentStarted');
    expect((started2!.data as { secret: unknown }).secret).toMatchObject({ $pii: 'v1' });
  });

  it('asks for a code at login, and answers the tokens for it once', async () => {
    const user = await enrolled();
    const first = await login(user);
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual({
      mfaRequired: true,
      challenge: expect.any(String),
      methods: ['totp', 'recovery'],
      expiresIn: 300,
    });
    expect(first.body.data.accessToken).toBeUndefined();

    const tokens = await verify({ challenge: first.body.data.challenge!, code: codeOf(user.secret, 1) });
    expect(tokens.status).toBe(200);
    expect(tokens.body.data).toMatchObject({ accessToken: expect.any(String), tokenType: 'Bearer' });
    const me = await ledger.request('GET', '/auth/me', { token: tokens.body.data.accessToken as string });
    expect(me.status).toBe(200);

    // The challenge gave its session: it is gone.
    const again = await verify({ challenge: first.body.data.challenge!, code: codeOf(user.secret) });
    expect(again.status).toBe(401);
    expect(again.body).toEqual(problem('invalid-mfa-challenge'));
  });

  it('refuses a code used already (a replay) within its window', async () => {
    const user = await enrolled();
    const code = codeOf(user.secret, 1);
    const first = await login(user);
    expect((await verify({ challenge: first.body.data.challenge!, code })).status).toBe(200);
    const second = await login(user);
    const replayed = await verify({ challenge: second.body.data.challenge!, code });
    expect(replayed.status).toBe(401);
    expect(replayed.body).toEqual(problem('invalid-mfa-code'));
    // The step of the confirming code is used too.
    const confirmingStep = await verify({ challenge: second.body.data.challenge!, code: codeOf(user.secret, -1) });
    expect(confirmingStep.status).toBe(401);
  });

  it('refuses wrong codes and counts them against the login limits, so a challenge cannot be brute-forced', async () => {
    const user = await enrolled();
    const { challenge } = (await login(user)).body.data; // the password: attempt 1 of 5, not given back
    const wrong = String((Number(codeOf(user.secret)) + 1) % 1_000_000).padStart(6, '0');
    for (let attempt = 2; attempt <= 5; attempt++) {
      const answer = await verify({ challenge: challenge!, code: wrong });
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual(problem('invalid-mfa-code'));
    }
    const limited = await verify({ challenge: challenge!, code: codeOf(user.secret, 1) });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('takes a recovery code in place of a TOTP code, once', async () => {
    const user = await enrolled();
    const [recoveryCode] = user.recoveryCodes;
    const first = await login(user);
    const tokens = await verify({ challenge: first.body.data.challenge!, recoveryCode: recoveryCode!.toUpperCase() });
    expect(tokens.status).toBe(200);
    expect(tokens.body.data.accessToken).toEqual(expect.any(String));
    const second = await login(user);
    const reused = await verify({ challenge: second.body.data.challenge!, recoveryCode: recoveryCode! });
    expect(reused.status).toBe(401);
    // Neither or both of code and recoveryCode is a 400 naming the field.
    const both = await verify({ challenge: second.body.data.challenge!, code: '123456', recoveryCode: recoveryCode! });
    expect(both.status).toBe(400);
    expect(both.body).toMatchObject({ errors: [{ field: 'code' }] });
  });

  it('turns off only with a fresh second factor', async () => {
    const user = await enrolled();
    const stale = await ledger.request('DELETE', '/auth/mfa/totp', {
      token: user.accessToken,
      body: { code: codeOf(user.secret, -1) }, // the confirming code: used already
    });
    expect(stale.status).toBe(401);
    const wrongRecovery = await ledger.request('DELETE', '/auth/mfa/totp', {
      token: user.accessToken,
      body: { recoveryCode: 'aaaaa-aaaaa' },
    });
    expect(wrongRecovery.status).toBe(401);
    const off = await ledger.request('DELETE', '/auth/mfa/totp', {
      token: user.accessToken,
      body: { code: codeOf(user.secret) },
    });
    expect(off.status).toBe(204);
    const plain = await login(user);
    expect(plain.status).toBe(200);
    expect(plain.body.data.accessToken).toEqual(expect.any(String));
    // Off, the recovery codes are nothing.
    const gone = await ledger.request('DELETE', '/auth/mfa/totp', {
      token: user.accessToken,
      body: { recoveryCode: user.recoveryCodes[1]! },
    });
    expect(gone.status).toBe(422);
  });

  it('lets an MSP require MFA: a user without it gets tokens only to enrol, then logs in with a code', async () => {
    const admin = await ledger.signUp('msp');
    const security = await ledger.request('PUT', '/organization/security', {
      token: admin.accessToken,
      body: { requireMfa: true },
    });
    expect(security.status).toBe(200);
    expect(security.body).toMatchObject({ data: { requireMfa: true } });
    const read = await ledger.request('GET', '/organization/security', { token: admin.accessToken });
    expect(read.body).toMatchObject({ data: { requireMfa: true } });
    expect(read.headers.get('etag')).toBe(security.headers.get('etag'));

    const limited = await login(admin);
    expect(limited.status).toBe(200);
    expect(limited.body.data).toMatchObject({ enrolmentOnly: true, accessToken: expect.any(String) });
    const token = limited.body.data.accessToken as string;
    const clients = await ledger.request('GET', '/clients', { token });
    expect(clients.status).toBe(403);
    expect(clients.body).toEqual(problem('mfa-enrolment-required'));
    expect(JSON.stringify(clients.body)).toContain('POST /auth/mfa/totp');

    const started = await ledger.request<{ data: { secret: string } }>('POST', '/auth/mfa/totp', { token });
    expect(started.status).toBe(201);
    const confirmed = await ledger.request('POST', '/auth/mfa/totp/confirm', {
      token,
      body: { code: codeOf(started.body.data.secret) },
    });
    expect(confirmed.status).toBe(200);

    const challenge = await login(admin);
    expect(challenge.body.data.mfaRequired).toBe(true);
    const full = await verify({ challenge: challenge.body.data.challenge!, code: codeOf(started.body.data.secret, 1) });
    expect(full.status).toBe(200);
    expect(full.body.data.enrolmentOnly).toBeUndefined();
    expect((await ledger.request('GET', '/clients', { token: full.body.data.accessToken as string })).status).toBe(200);
  });

  it('keeps the setting to MSP administrators, and names a bad value', async () => {
    const admin = await ledger.signUp('msp');
    const invalid = await ledger.request('PUT', '/organization/security', {
      token: admin.accessToken,
      body: { requireMfa: 'yes' },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ errors: [{ field: 'requireMfa' }] });
    const officer = ledger.tokenFor(admin.tenantId, 'client_admin', crypto.randomUUID());
    const refused = await ledger.request('PUT', '/organization/security', {
      token: officer,
      body: { requireMfa: true },
    });
    expect(refused.status).toBe(403);
  });
});
