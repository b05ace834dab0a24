/**
 * Sessions on the embedded default (no REDIS_URL, no DATABASE_URL: the ledger's own PostgreSQL under DATA_DIR) across a restart of the
 * ledger. A revocation must outlive the process, and so must the sessions themselves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

type Tokens = { accessToken: string; refreshToken: string };

describe('sessions on the embedded default, across a restart', () => {
  let ledger: TestLedger;
  let loggedOut: Tokens;
  let kept: Tokens;
  let rotated: { original: Tokens; current: Tokens };
  let reset: Tokens;

  const problem = (type: string) => expect.objectContaining({ type: `https://compliance-ledger.dev/problems/${type}` });
  const me = (token: string) => ledger.request('GET', '/auth/me', { token });
  const refresh = (refreshToken: string) =>
    ledger.request<{ data: Tokens }>('POST', '/auth/refresh', { body: { refreshToken } });

  beforeAll(async () => {
    ledger = await startTestLedger({ env: { DATABASE_URL: '', REDIS_URL: '' } });
    const ready = (await (await fetch(`${ledger.url}/ready`)).json()) as { checks: Record<string, unknown> };
    expect(ready.checks).toMatchObject({ database: { kind: 'postgres', embedded: true } });
    expect(ready.checks).not.toHaveProperty('redis');

    loggedOut = await ledger.signUp('logout');
    const logout = await ledger.request('POST', '/auth/logout', {
      body: { refreshToken: loggedOut.refreshToken },
      token: loggedOut.accessToken,
    });
    expect(logout.status).toBe(204);

    kept = await ledger.signUp('kept');

    const original = await ledger.signUp('rotated');
    const next = await refresh(original.refreshToken);
    expect(next.status).toBe(200);
    rotated = { original, current: next.body.data };

    // A password reset ends every session of the account (revokeUser), as deactivation and a role change do.
    const resetUser = await ledger.signUp('reset');
    reset = resetUser;
    expect(
      (await ledger.request('POST', '/auth/reset-password/request', { body: { email: resetUser.email } })).status,
    ).toBe(202);
    const token = /token=([A-Za-z0-9._-]+)/.exec(ledger.lastMailTo(resetUser.email))![1]!;
    expect(
      (await ledger.request('POST', '/auth/reset-password', { body: { token, password: 'a brand new password' } }))
        .status,
    ).toBe(204);

    await ledger.restart();
  });
  afterAll(() => ledger?.close());

  it('keeps a logout: both tokens stay refused', async () => {
    expect((await me(loggedOut.accessToken)).body).toEqual(problem('session-revoked'));
    expect((await refresh(loggedOut.refreshToken)).status).toBe(401);
  });

  it('keeps a password reset: the sessions it ended stay ended', async () => {
    expect((await me(reset.accessToken)).body).toEqual(problem('session-revoked'));
    expect((await refresh(reset.refreshToken)).status).toBe(401);
  });

  it('keeps its users logged in: tokens issued before the restart still work', async () => {
    expect((await me(kept.accessToken)).status).toBe(200);
    const next = await refresh(kept.refreshToken);
    expect(next.status).toBe(200);
    expect((await me(next.body.data.accessToken)).status).toBe(200);
  });

  it('still detects the reuse of a refresh token rotated before the restart, and ends that session', async () => {
    expect((await me(rotated.current.accessToken)).status).toBe(200);
    const reuse = await refresh(rotated.original.refreshToken);
    expect(reuse.status).toBe(401);
    expect(reuse.body).toEqual(problem('refresh-token-reused'));
    expect((await refresh(rotated.current.refreshToken)).status).toBe(401);
    expect((await me(rotated.current.accessToken)).body).toEqual(problem('session-revoked'));
  });
});
