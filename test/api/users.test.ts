import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERASED, PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import { openDatabase } from '../../infrastructure/database/database.js';
import { PostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.js';
import { verifyStream } from '../../infrastructure/event-store/verify.js';
import { needs, services } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

describe.skipIf(skip)(
  `users, invitations and password resets over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`,
  () => {
    let ledger: TestLedger;
    let admin: Awaited<ReturnType<TestLedger['signUp']>>;
    let clientA: string;
    let clientB: string;
    const password = 'a perfectly fine password';

    beforeAll(async () => {
      ledger = await startTestLedger();
      admin = await ledger.signUp();
      const create = async (name: string) =>
        (
          await ledger.request<{ data: { clientId: string } }>('POST', '/clients', {
            token: admin.accessToken,
            body: { name, industry: 'health', size: '1-10' },
          })
        ).body.data.clientId;
      clientA = await create('Client A');
      clientB = await create('Client B');
    });
    afterAll(() => ledger?.close());

    const linkToken = (mail: string) => /token=([A-Za-z0-9._-]+)/.exec(mail)![1]!;

    /** Invites, accepts from the mail, logs in. */
    async function invite(by: string, role: string, clientId?: string) {
      const email = `${role}-${randomBytes(3).toString('hex')}@example.com`;
      const invited = await ledger.request<{ data: { userId: string } }>('POST', '/users/invite', {
        token: by,
        body: { email, role, ...(clientId ? { clientId } : {}) },
      });
      if (invited.status !== 201)
        return {
          status: invited.status,
          body: invited.body as unknown,
          email,
          userId: '',
          accessToken: '',
          refreshToken: '',
        };
      const accepted = await ledger.request('POST', '/users/accept-invite', {
        body: { token: linkToken(ledger.lastMailTo(email)), name: `The ${role}`, password },
      });
      expect(accepted.status).toBe(200);
      const login = await ledger.request<{ data: { accessToken: string; refreshToken: string } }>(
        'POST',
        '/auth/login',
        { body: { email, password } },
      );
      expect(login.status).toBe(200);
      return {
        status: 201,
        body: invited.body as unknown,
        email,
        userId: invited.body.data.userId,
        ...login.body.data,
      };
    }

    it('invites a user with a client role, who accepts from the mail and logs in', async () => {
      const officer = await invite(admin.accessToken, 'compliance_officer', clientA);
      expect(officer.status).toBe(201);
      const me = await ledger.request<{ data: Record<string, unknown> }>('GET', '/auth/me', {
        token: officer.accessToken,
      });
      expect(me.body.data).toMatchObject({
        role: 'compliance_officer',
        clientId: clientA,
        emailVerified: true,
        name: 'The compliance_officer',
      });
      // A compliance officer manages no users.
      expect(
        (
          await ledger.request('POST', '/users/invite', {
            token: officer.accessToken,
            body: { email: 'x@example.com', role: 'member', clientId: clientA },
          })
        ).status,
      ).toBe(403);
    });

    it('lets a client administrator grant client roles for its own client only', async () => {
      const clientAdmin = await invite(admin.accessToken, 'client_admin', clientA);
      const member = await invite(clientAdmin.accessToken, 'member', clientA);
      expect(member.status).toBe(201);
      expect((await invite(clientAdmin.accessToken, 'msp_analyst')).status).toBe(403);
      const elsewhere = await invite(clientAdmin.accessToken, 'member', clientB);
      expect(elsewhere.status).toBe(422);
      expect(elsewhere.body).toMatchObject({ errors: [{ field: 'clientId' }] });
      const other = await invite(admin.accessToken, 'member', clientB);
      expect(
        (await ledger.request('DELETE', `/users/${other.userId}`, { token: clientAdmin.accessToken })).status,
      ).toBe(404);
    });

    it('checks role scopes and refuses a taken email', async () => {
      const noClient = await ledger.request('POST', '/users/invite', {
        token: admin.accessToken,
        body: { email: 'nobody-1@example.com', role: 'member' },
      });
      expect(noClient.status).toBe(422);
      expect(noClient.body).toMatchObject({ errors: [{ field: 'clientId' }] });
      const taken = await ledger.request('POST', '/users/invite', {
        token: admin.accessToken,
        body: { email: admin.email, role: 'msp_analyst' },
      });
      expect(taken.status).toBe(409);
    });

    it('changes a role at once: the old tokens stop working', async () => {
      const analyst = await invite(admin.accessToken, 'msp_analyst');
      const changed = await ledger.request('PUT', `/users/${analyst.userId}/role`, {
        token: admin.accessToken,
        body: { role: 'auditor' },
      });
      expect(changed.status).toBe(200);
      expect((await ledger.request('GET', '/auth/me', { token: analyst.accessToken })).status).toBe(401);
      const login = await ledger.request<{ data: { accessToken: string } }>('POST', '/auth/login', {
        body: { email: analyst.email, password },
      });
      const me = await ledger.request<{ data: { role: string } }>('GET', '/auth/me', {
        token: login.body.data.accessToken,
      });
      expect(me.body.data.role).toBe('auditor');
      expect(
        (
          await ledger.request('PUT', `/users/${admin.userId}/role`, {
            token: admin.accessToken,
            body: { role: 'auditor' },
          })
        ).status,
      ).toBe(403);
    });

    it('deactivates a user, who can no longer log in', async () => {
      const analyst = await invite(admin.accessToken, 'msp_analyst');
      expect((await ledger.request('DELETE', `/users/${analyst.userId}`, { token: admin.accessToken })).status).toBe(
        200,
      );
      expect((await ledger.request('GET', '/auth/me', { token: analyst.accessToken })).status).toBe(401);
      expect((await ledger.request('POST', '/auth/login', { body: { email: analyst.email, password } })).status).toBe(
        401,
      );
    });

    it('erases a data subject: personal data reads back as erased, the chain still verifies, the email is free again', async () => {
      const analyst = await invite(admin.accessToken, 'msp_analyst');
      const erased = await ledger.request('POST', `/users/${analyst.userId}/erase`, { token: admin.accessToken });
      expect(erased.status).toBe(200);
      expect((await ledger.request('GET', '/auth/me', { token: analyst.accessToken })).status).toBe(401);

      const database = await openDatabase({
        kind: 'postgres',
        url: services.databaseUrl!,
        schema: ledger.config.DATABASE_SCHEMA,
        poolSize: 1,
      });
      try {
        const store = new PostgresEventStore(database);
        const stream = `${admin.tenantId}/user/${analyst.userId}`;
        const vault = new PersonalDataVault(database, ledger.config.MASTER_KEY!);
        const revealed = await Promise.all((await store.readStream(stream)).map((e) => vault.reveal(e.data)));
        expect(revealed[0]).toMatchObject({ email: ERASED });
        expect(revealed.find((d) => (d as { name?: string }).name !== undefined)).toMatchObject({
          name: ERASED,
          passwordHash: ERASED,
        });
        expect(await verifyStream(store, stream)).toMatchObject({ ok: true });
      } finally {
        await database.close();
      }
      const again = await ledger.request('POST', '/users/invite', {
        token: admin.accessToken,
        body: { email: analyst.email, role: 'msp_analyst' },
      });
      expect(again.status).toBe(201);
    });

    it('resets a password without revealing whether an account exists, once, ending every session', async () => {
      const user = await ledger.signUp('reset');
      const known = await ledger.request('POST', '/auth/reset-password/request', { body: { email: user.email } });
      const unknown = await ledger.request('POST', '/auth/reset-password/request', {
        body: { email: 'no-such-account@example.com' },
      });
      expect(known.status).toBe(202);
      expect(unknown.status).toBe(202);
      expect(unknown.body).toEqual(known.body);
      expect(() => ledger.lastMailTo('no-such-account@example.com')).toThrow();

      const mail = ledger.lastMailTo(user.email);
      expect(mail).toContain('Reset your Compliance Ledger password');
      const token = linkToken(mail);
      expect(
        (await ledger.request('POST', '/auth/reset-password', { body: { token, password: 'a brand new password' } }))
          .status,
      ).toBe(204);
      expect((await ledger.request('GET', '/auth/me', { token: user.accessToken })).status).toBe(401);
      expect(
        (await ledger.request('POST', '/auth/refresh', { body: { refreshToken: user.refreshToken } })).status,
      ).toBe(401);
      expect(
        (await ledger.request('POST', '/auth/login', { body: { email: user.email, password: user.password } })).status,
      ).toBe(401);
      expect(
        (await ledger.request('POST', '/auth/login', { body: { email: user.email, password: 'a brand new password' } }))
          .status,
      ).toBe(200);
      const reused = await ledger.request('POST', '/auth/reset-password', {
        body: { token, password: 'yet another password' },
      });
      expect(reused.status).toBe(422);
    });
  },
);
