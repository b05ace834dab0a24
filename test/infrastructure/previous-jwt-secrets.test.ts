/**
 * After a JWT secret rotation, access tokens signed with a previous secret are accepted until they expire; the
 * previous secrets come from JWT_PREVIOUS_SECRETS and from DATA_DIR/jwt.secret.previous (past their retirement,
 * ignored).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { previousJwtSecrets, writeRetiredSecrets } from '../../infrastructure/auth/jwt-secrets.js';
import { AccessTokens, InvalidTokenError } from '../../infrastructure/auth/tokens.js';
import { loadConfig } from '../../infrastructure/config/config.js';

const OLD = 'o'.repeat(40);
const NEW = 'n'.repeat(40);
const claims = { userId: 'u', tenantId: 't', role: 'msp_admin' as const, clientId: null, sessionId: 's' };
const dir = mkdtempSync(join(tmpdir(), 'jwt-previous-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('previous JWT secrets', () => {
  it('accepts a token of a previous secret, and signs with the current one only', () => {
    const old = new AccessTokens(OLD, 60).issue(claims);
    const rotated = new AccessTokens(NEW, 60, [OLD]);
    expect(rotated.verify(old)).toMatchObject({ userId: 'u', tenantId: 't' });
    expect(() => new AccessTokens(NEW, 60).verify(old)).toThrow(InvalidTokenError);
    expect(() => new AccessTokens(OLD, 60).verify(rotated.issue(claims))).toThrow(InvalidTokenError);
  });

  it('reads JWT_PREVIOUS_SECRETS as a list, and refuses short ones by name', () => {
    expect(loadConfig({ JWT_PREVIOUS_SECRETS: ` ${OLD}, ${NEW} ` }).JWT_PREVIOUS_SECRETS).toEqual([OLD, NEW]);
    expect(loadConfig({}).JWT_PREVIOUS_SECRETS).toEqual([]);
    expect(() => loadConfig({ JWT_PREVIOUS_SECRETS: 'short' })).toThrow(/JWT_PREVIOUS_SECRETS: expected secrets/);
  });

  it('keeps the file’s secrets until their retirement time', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    writeRetiredSecrets(dir, [
      { secret: OLD, retiresAt: '2026-01-01T00:15:00Z' },
      { secret: 'r'.repeat(40), retiresAt: '2025-12-31T23:00:00Z' },
    ]);
    expect(previousJwtSecrets(['e'.repeat(40)], dir, now)).toEqual(['e'.repeat(40), OLD]);
    expect(previousJwtSecrets([], dir, new Date('2026-01-01T00:16:00Z'))).toEqual([]);
  });
});
