/**
 * `ledger keys rotate` on a ledger that keeps its keys in DATA_DIR (master.key, jwt.secret), and on one configured by
 * the environment: afterwards users still log in by email (the keyed hashes did not change), personal data still
 * reads, an access token signed before is still accepted, and new ones are signed with the new secret.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliJson, ledgerEnv, runCli } from '../support/cli.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { needs } from '../support/services.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface Me {
  data: { email: string; name: string };
}

describe.skipIf(skip)(`ledger keys rotate${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  describe('keys kept in DATA_DIR', () => {
    let ledger: TestLedger;
    let env: Record<string, string>;

    beforeAll(async () => {
      ledger = await startTestLedger({ env: { MASTER_KEY: '', JWT_SECRET: '' } });
      env = ledgerEnv(ledger);
    });
    afterAll(async () => {
      await ledger?.close();
    });

    it('rewraps every subject key under a new master key file and signs with a new secret, the old tokens still valid', async () => {
      const admin = await ledger.signUp();
      const keyFile = join(ledger.dataDir, 'master.key');
      const secretFile = join(ledger.dataDir, 'jwt.secret');
      const oldKey = readFileSync(keyFile, 'utf8').trim();
      const oldSecret = readFileSync(secretFile, 'utf8').trim();
      const wrappedBefore = await ledger.sql(
        async (db) => (await sql<{ wrapped_key: Buffer }>`select wrapped_key from subject_keys`.execute(db)).rows,
      );
      expect(wrappedBefore.length).toBeGreaterThan(0);

      // Refused while the ledger runs: it keeps the keys it started with, and what it wrote meanwhile would be lost.
      const refused = await runCli(['keys', 'rotate'], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/A ledger is running on this database .*stop it, run ledger keys rotate/);
      expect(readFileSync(keyFile, 'utf8').trim()).toBe(oldKey);

      await ledger.stop();
      const rotated = await cliJson<{
        masterKey: { subjectKeys: number; source: string; file: string };
        jwtSecret: { source: string; previousAcceptedUntil: string };
      }>(['keys', 'rotate'], env);
      expect(rotated.masterKey).toMatchObject({ source: 'file', file: keyFile, subjectKeys: wrappedBefore.length });
      expect(rotated.jwtSecret.source).toBe('file');
      const newKey = readFileSync(keyFile, 'utf8').trim();
      expect(newKey).not.toBe(oldKey);
      expect(Buffer.from(newKey, 'base64')).toHaveLength(32);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(statSync(secretFile).mode & 0o777).toBe(0o600);
      const newSecret = readFileSync(secretFile, 'utf8').trim();
      expect(newSecret).not.toBe(oldSecret);
      const wrappedAfter = await ledger.sql(
        async (db) => (await sql<{ wrapped_key: Buffer }>`select wrapped_key from subject_keys`.execute(db)).rows,
      );
      expect(wrappedAfter.map((r) => Buffer.from(r.wrapped_key).toString('hex'))).not.toEqual(
        wrappedBefore.map((r) => Buffer.from(r.wrapped_key).toString('hex')),
      );

      // The processes read their keys when they start.
      await ledger.start();
      const before = await ledger.request<Me>('GET', '/auth/me', { token: admin.accessToken });
      expect(before.status).toBe(200);
      expect(before.body.data.email).toBe(admin.email); // personal data, opened with the rewrapped subject key
      const login = await ledger.request<{ data: { accessToken: string } }>('POST', '/auth/login', {
        body: { email: admin.email, password: admin.password },
      });
      expect(login.status).toBe(200); // found by email: the hash root did not change
      const fresh = login.body.data.accessToken;
      expect(() => jwt.verify(fresh, newSecret, { algorithms: ['HS256'] })).not.toThrow();
      expect(() => jwt.verify(fresh, oldSecret, { algorithms: ['HS256'] })).toThrow(/invalid signature/);
      expect((await ledger.request<Me>('GET', '/auth/me', { token: fresh })).body.data.name).toBe('Ada Admin');

      // A token signed with a secret that was never the ledger's is still refused.
      const forged = jwt.sign({ tid: admin.tenantId, role: 'msp_admin', cid: null, sid: 'x' }, 'f'.repeat(48), {
        subject: admin.userId,
        expiresIn: 60,
      });
      expect((await ledger.request('GET', '/auth/me', { token: forged })).status).toBe(401);
    });

    it('refuses to start over a rotation that did not finish', async () => {
      const pending = join(ledger.dataDir, 'master.key.next');
      const { writeFileSync, rmSync } = await import('node:fs');
      writeFileSync(pending, 'x', { mode: 0o600 });
      try {
        const run = await runCli(['keys', 'rotate', '--master-key'], env);
        expect(run.code).toBe(1);
        expect(run.stderr).toContain('master.key.next exists');
      } finally {
        rmSync(pending);
      }
    });
  });

  describe('keys set in the environment', () => {
    let ledger: TestLedger;

    beforeAll(async () => {
      ledger = await startTestLedger();
    });
    afterAll(async () => {
      await ledger?.close();
    });

    it('prints the new key and secret, with what to set', async () => {
      const admin = await ledger.signUp();
      const env = ledgerEnv(ledger);
      await ledger.stop();
      const human = await runCli(['keys', 'rotate', '--jwt-secret'], env);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/JWT_SECRET=\S{40,}/);
      expect(human.stdout).toContain(`JWT_PREVIOUS_SECRETS=${env.JWT_SECRET}`);

      const rotated = await cliJson<{ masterKey: { newMasterKey: string; subjectKeys: number } }>(
        ['keys', 'rotate', '--master-key'],
        env,
      );
      expect(Buffer.from(rotated.masterKey.newMasterKey, 'base64')).toHaveLength(32);
      // The old key no longer opens the database: a run with it is told so.
      const stale = await runCli(['keys', 'rotate', '--master-key'], env);
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain('The master key does not open the keys stored in this database');
      // With the new key, it does (and rotates again).
      const again = await cliJson<{ masterKey: { subjectKeys: number } }>(['keys', 'rotate', '--master-key'], {
        ...env,
        MASTER_KEY: rotated.masterKey.newMasterKey,
      });
      expect(again.masterKey.subjectKeys).toBe(rotated.masterKey.subjectKeys);
      expect(admin.userId).toBeTruthy();
    });
  });
});
