import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../infrastructure/database/database.js';
import { PostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.js';
import { sha256Hex } from '../../infrastructure/hashing.js';
import { needs, services } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { createClient } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface Answer<T> {
  data: T;
  meta: { position: string };
}

describe.skipIf(skip)(
  `the same file uploaded for a client, claimed once${skip ? ' (skipped: no postgres or redis)' : ''}`,
  () => {
    let ledger: TestLedger;
    let admin: Awaited<ReturnType<TestLedger['signUp']>>;
    let clinic: string;

    beforeAll(async () => {
      ledger = await startTestLedger();
      admin = await ledger.signUp();
      clinic = await createClient(ledger, admin.accessToken, 'Clinic', ['hipaa']);
    });
    afterAll(() => ledger?.close());

    async function send(content: string, title: string, clientId = clinic) {
      const form = new FormData();
      for (const [name, value] of Object.entries({
        clientId,
        title,
        validFrom: '2026-01-01',
        expiresAt: '2031-01-01T00:00:00Z',
      }))
        form.append(name, value);
      form.append('file', new Blob([content], { type: 'text/plain' }), 'minutes.txt');
      const response = await fetch(`${ledger.url}/api/v1/evidence/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.accessToken}` },
        body: form,
      });
      return {
        status: response.status,
        body: (await response.json()) as Answer<Record<string, unknown> & { evidenceId: string }>,
      };
    }
    const staging = () => join(ledger.dataDir, 'blobs', 'staging');
    const staged = () => (existsSync(staging()) ? readdirSync(staging()) : []);
    const listed = async (title: string) =>
      (
        await ledger.request<{ data: Array<{ evidenceId: string; title: string }> }>(
          'GET',
          `/evidence?clientId=${clinic}&size=100`,
          { token: admin.accessToken },
        )
      ).body.data.filter((e) => e.title.startsWith(title));

    it('answers 30 parallel uploads of one new file with one 201 and 29 duplicates of it, one record', async () => {
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => send('minutes of the race meeting', `Race minutes ${i}`)),
      );
      const created = answers.filter((a) => a.status === 201);
      const duplicates = answers.filter((a) => a.status === 200);
      expect(answers.map((a) => a.status).sort((x, y) => y - x)).toEqual([201, ...Array<number>(29).fill(200)]);
      const winner = created[0]!.body.data.evidenceId;
      expect(new Set(duplicates.map((a) => a.body.data.evidenceId))).toEqual(new Set([winner]));
      for (const duplicate of duplicates) expect(duplicate.body.data).toMatchObject({ duplicate: true });
      const uploaded = (await ledger.storedEvents()).filter(
        (e) => e.type === 'EvidenceUploaded' && (e.data as { title: string }).title.startsWith('Race minutes'),
      );
      expect(uploaded).toHaveLength(1);
      expect(staged()).toEqual([]);
      const position = created[0]!.body.meta.position;
      const list = await ledger.request<{ data: Array<{ evidenceId: string; title: string }> }>(
        'GET',
        `/evidence?clientId=${clinic}&size=100`,
        { token: admin.accessToken, headers: { 'X-Min-Position': position } },
      );
      expect(list.body.data.filter((e) => e.title.startsWith('Race minutes')).map((e) => e.evidenceId)).toEqual([
        winner,
      ]);
    });

    it('lets the file be claimed again once its holder is retired, once however many ask', async () => {
      const first = await send('minutes retired then again', 'Retired minutes');
      expect(first.status).toBe(201);
      const retired = await ledger.request<Answer<unknown>>('DELETE', `/evidence/${first.body.data.evidenceId}`, {
        token: admin.accessToken,
      });
      expect(retired.status).toBe(200);
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => send('minutes retired then again', 'Retired minutes, again')),
      );
      expect(answers.map((a) => a.status).sort((x, y) => y - x)).toEqual([201, ...Array<number>(9).fill(200)]);
      const winner = answers.find((a) => a.status === 201)!.body.data.evidenceId;
      expect(winner).not.toBe(first.body.data.evidenceId);
      for (const a of answers) expect(a.body.data.evidenceId).toBe(winner);
      // Another client's evidence is its own.
      const other = await createClient(ledger, admin.accessToken, 'Second clinic', ['hipaa']);
      expect((await send('minutes retired then again', 'Theirs', other)).status).toBe(201);
      expect(await listed('Retired minutes')).toHaveLength(2);
    });

    it('still finds evidence recorded before files were claimed as the duplicate', async () => {
      const content = 'minutes uploaded by an older ledger';
      const evidenceId = randomUUID();
      const database = await openDatabase({
        kind: 'postgres',
        url: services.databaseUrl!,
        schema: ledger.config.DATABASE_SCHEMA,
        poolSize: 1,
      });
      try {
        await new PostgresEventStore(database).append(`${admin.tenantId}/evidence/${evidenceId}`, [
          {
            type: 'EvidenceUploaded',
            data: {
              evidenceId,
              clientId: clinic,
              title: 'Old minutes',
              validFrom: '2026-01-01T00:00:00.000Z',
              expiresAt: '2031-01-01T00:00:00.000Z',
              uploadedBy: admin.userId,
              fileName: 'minutes.txt',
              contentType: 'text/plain',
              sha256: sha256Hex(content),
              size: Buffer.byteLength(content),
            },
            metadata: {
              tenantId: admin.tenantId,
              actorId: admin.userId,
              correlationId: randomUUID(),
              clientId: clinic,
            },
          },
        ]);
      } finally {
        await database.close();
      }
      // Read from the log once every transaction older than the append is over: wait till readers see it.
      const deadline = Date.now() + 10_000;
      while ((await ledger.request('GET', `/evidence/${evidenceId}`, { token: admin.accessToken })).status !== 200)
        if (Date.now() > deadline) throw new Error('the old evidence never became visible');
      const answers = await Promise.all(Array.from({ length: 5 }, () => send(content, 'Old minutes again')));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      for (const a of answers) expect(a.body.data).toMatchObject({ evidenceId, duplicate: true, title: 'Old minutes' });
      expect(staged()).toEqual([]);
    });
  },
);
