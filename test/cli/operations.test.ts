/**
 * The operator's command line, run as operators run it (the package's bin, a child process) against a ledger's
 * schema on the test PostgreSQL: migrate, roles, rebuild, replay, verify (intact, then tampered), and --json output.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_PERMISSIONS } from '../../domain/accounts/roles.js';
import { openDatabase } from '../../infrastructure/database/database.js';
import { cliJson, ledgerEnv, runCli } from '../support/cli.js';
import { tamperWithEvent } from '../contract/tamper.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { needs, services, uniqueName } from '../support/services.js';
import { createClient } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

describe.skipIf(skip)(
  `ledger: migrate, roles, rebuild, replay, verify${skip ? ' (skipped: no postgres or redis)' : ''}`,
  () => {
    let ledger: TestLedger;
    let env: Record<string, string>;
    let admin: Awaited<ReturnType<TestLedger['signUp']>>;

    beforeAll(async () => {
      ledger = await startTestLedger();
      env = ledgerEnv(ledger);
      admin = await ledger.signUp();
    });
    afterAll(async () => {
      await ledger?.close();
    });

    it('migrates a fresh schema, then finds it up to date', async () => {
      const schema = uniqueName('cli_migrate');
      const fresh = { ...env, DATABASE_SCHEMA: schema };
      try {
        const first = await cliJson<{ schema: string; applied: string[] }>(['migrate'], fresh);
        expect(first.schema).toBe(schema);
        expect(first.applied).toContain('0001_event_store');
        expect(first.applied).toContain('0029_key_material');
        const again = await runCli(['migrate'], fresh);
        expect(again.code).toBe(0);
        expect(again.stdout).toContain(`schema "${schema}" is up to date`);
      } finally {
        const admin = await openDatabase({ kind: 'postgres', url: services.databaseUrl!, poolSize: 1 });
        await admin.db.schema.dropSchema(schema).ifExists().cascade().execute();
        await admin.close();
      }
    });

    it('prints the permission table, and the same as JSON', async () => {
      const table = await runCli(['roles'], env);
      expect(table.code).toBe(0);
      expect(table.stdout.split('\n')[0]).toMatch(/^permission\s+msp_admin\s+msp_analyst/);
      expect(table.stdout).toMatch(/^user:write\s+✓\s+·\s+✓/m);
      expect(await cliJson(['roles'], env)).toEqual(ROLE_PERMISSIONS);
    });

    it('refuses an unknown command or projection with a clear message and a non-zero exit', async () => {
      const unknown = await runCli(['nonsense'], env);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain("unknown command 'nonsense'");
      const projection = await runCli(['rebuild', 'nonsense'], env);
      expect(projection.code).toBe(2);
      expect(projection.stderr).toContain('No projection named nonsense. Known: clients');
      const config = await runCli(['verify'], { ...env, PORT: 'eighty' });
      expect(config.code).toBe(1);
      expect(config.stderr).toContain('PORT: expected a port number');
      // A DATA_DIR with no ledger in it is a typo: said so, and nothing is made there.
      const nowhere = join(tmpdir(), `ledger-nowhere-${randomUUID()}`);
      const typo = await runCli(['verify'], { ...env, DATABASE_URL: '', DATA_DIR: nowhere });
      expect(typo.code).toBe(1);
      expect(typo.stderr).toContain(`DATA_DIR=${nowhere} holds no ledger`);
      expect(existsSync(nowhere)).toBe(false);
    });

    it('rebuilds a projection and the API still reads it', async () => {
      await createClient(ledger, admin.accessToken, 'Rebuilt Clinic');
      const rebuilt = await cliJson<{ events: number; projections: Array<{ projection: string; position: string }> }>(
        ['rebuild', 'clients'],
        env,
      );
      expect(rebuilt.projections.map((p) => p.projection)).toEqual(['clients']);
      expect(rebuilt.projections[0]!.position).toMatch(/^\d{20}-\d{20}$/);
      const human = await runCli(['rebuild', 'clients', 'users'], env);
      expect(human.code).toBe(0);
      expect(human.stdout).toContain('clients: swapped in at');
      expect(human.stdout).toContain('users: swapped in at');
      const list = await ledger.request<{ data: Array<{ name: string }> }>('GET', '/clients', {
        token: admin.accessToken,
      });
      expect(list.body.data.map((c) => c.name)).toContain('Rebuilt Clinic');
    });

    it("exports a tenant's state as of a position and as of a time", async () => {
      const first = await ledger.request<{ data: { clientId: string }; meta: { position: string } }>(
        'POST',
        '/clients',
        {
          token: admin.accessToken,
          body: { name: 'Earlier Dental', industry: 'healthcare', size: '11-50', frameworks: [] },
        },
      );
      expect(first.status).toBe(201);
      await createClient(ledger, admin.accessToken, 'Later Legal');
      interface Export {
        tenantId: string;
        asOf: string;
        position: string | null;
        eventsReplayed: number;
        summary: Array<{ name: string }>;
        clients: Array<{ name: string }>;
        policies: unknown[];
        evidence: unknown[];
        violations: unknown[];
      }
      const then = await cliJson<Export>(
        ['replay', '--tenant', admin.tenantId, '--as-of', first.body.meta.position],
        env,
      );
      expect(then.tenantId).toBe(admin.tenantId);
      expect(then.position).toBe(first.body.meta.position);
      const names = then.clients.map((c) => c.name);
      expect(names).toContain('Earlier Dental');
      expect(names).not.toContain('Later Legal');
      expect(then.summary.map((c) => c.name)).toContain('Earlier Dental');
      expect(then).toHaveProperty('policies');
      expect(then).toHaveProperty('evidence');
      expect(then).toHaveProperty('violations');

      const now = new Date().toISOString();
      const file = `${ledger.dataDir}/export.json`;
      const written = await runCli(['replay', '--tenant', admin.tenantId, '--as-of', now, '--out', file], env);
      expect(written.code).toBe(0);
      const { readFileSync } = await import('node:fs');
      const later = JSON.parse(readFileSync(file, 'utf8')) as Export;
      expect(later.asOf).toBe(now);
      expect(later.clients.map((c) => c.name)).toEqual(expect.arrayContaining(['Earlier Dental', 'Later Legal']));

      const bad = await runCli(['replay', '--tenant', admin.tenantId, '--as-of', 'yesterday'], env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--as-of is an ISO 8601 time or a log position');
      const none = await runCli(['replay', '--tenant', randomUUID(), '--as-of', now], env);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('No tenant');
    });

    it('verifies every chain, then finds the event an owner rewrote (exit code 1)', async () => {
      const other = await ledger.signUp('other');
      const intact = await cliJson<{ ok: boolean; tenants: Array<{ tenantId: string; ok: boolean }> }>(['verify'], env);
      expect(intact.ok).toBe(true);
      expect(intact.tenants.map((t) => t.tenantId)).toEqual(
        expect.arrayContaining([admin.tenantId, other.tenantId, 'system']),
      );

      const database = await openDatabase({
        kind: 'postgres',
        url: services.databaseUrl!,
        schema: ledger.config.DATABASE_SCHEMA,
        poolSize: 1,
      });
      const stream = `${admin.tenantId}/organization/${admin.tenantId}`;
      try {
        await tamperWithEvent(database, stream, 0, {
          tenantId: admin.tenantId,
          name: 'Someone Else Ltd',
          registeredBy: admin.userId,
        });
      } finally {
        await database.close();
      }
      const broken = await runCli(['--json', 'verify'], env);
      expect(broken.code).toBe(1);
      const report = JSON.parse(broken.stdout) as {
        ok: boolean;
        tenants: Array<{ tenantId: string; ok: boolean; firstBreak?: { streamId: string; reason: string } }>;
      };
      expect(report.ok).toBe(false);
      const tampered = report.tenants.find((t) => t.tenantId === admin.tenantId)!;
      expect(tampered.firstBreak).toMatchObject({ streamId: stream, reason: 'hash-mismatch' });
      expect(report.tenants.find((t) => t.tenantId === other.tenantId)!.ok).toBe(true);

      const one = await runCli(['verify', admin.tenantId], env);
      expect(one.code).toBe(1);
      expect(one.stdout).toContain(`BROKEN at ${stream} revision 0 (hash-mismatch)`);
      expect((await runCli(['verify', other.tenantId], env)).code).toBe(0);
      // A tenant the log does not know is said so, not reported intact.
      const unknown = await runCli(['verify', 'not-a-tenant'], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('No tenant not-a-tenant in this log');
    });
  },
);
