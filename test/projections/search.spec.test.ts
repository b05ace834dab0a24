/**
 * The search index as a projection spec (given these events, then these rows), and the search query over it, on both
 * databases the ledger runs on: a PostgreSQL server and embedded PGlite, whose full-text search is PostgreSQL's own.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../infrastructure/database/database.js';
import { PostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.js';
import { createLogger } from '../../infrastructure/logging/logger.js';
import { asTenant, type ReadScope } from '../../infrastructure/read-models/tenant-scope.js';
import { projectionNamed } from '../../projections/catalog.js';
import { rebuildProjection } from '../../projections/rebuild.js';
import { searchProjection, SEARCH_TYPES, type SearchType } from '../../projections/read-models/search.js';
import { highlighted } from '../../query-api/search/highlights.js';
import { searchRows } from '../../query-api/search/query.js';
import { requirementIndex } from '../../query-api/search/requirement-index.js';
import { eventually } from '../contract/message-bus.contract.js';
import { projectionSpecification } from '../support/projection-spec.js';
import { needs, openPgliteDatabase, openTestDatabase } from '../support/services.js';

const databases: Array<[string, () => Promise<Database & { drop?: () => Promise<void> }>, boolean]> = [
  ['PostgreSQL', () => openTestDatabase('search'), needs('postgres').skip],
  ['PGlite (embedded)', () => openPgliteDatabase(), false],
];

const CLIENT = 'c-1';
const policy = (content: string) => ({
  policyId: 'p-1',
  clientId: CLIENT,
  frameworkId: 'hipaa',
  catalogVersion: '1',
  title: 'AI Acceptable Use Policy',
  generator: { name: 'template', version: '1', inputHash: 'h' },
  version: 1,
  content,
  contentHash: 'h1',
  authorId: 'u-1',
});
const uploaded = (evidenceId: string, clientId: string, sha256: string, title: string, fileName: string) => ({
  stream: `evidence/${evidenceId}`,
  type: 'EvidenceUploaded',
  data: {
    evidenceId,
    clientId,
    title,
    fileName,
    contentType: 'application/pdf',
    sha256,
    size: 10,
    validFrom: '2026-01-01T00:00:00.000Z',
    expiresAt: '2030-01-01T00:00:00.000Z',
    uploadedBy: 'u-1',
  },
});

for (const [name, open, skip] of databases) {
  describe.skipIf(skip)(`the search projection and query on ${name}${skip ? ' (skipped: no postgres)' : ''}`, () => {
    let database: Database & { drop?: () => Promise<void> };
    beforeAll(async () => {
      database = await open();
    }, 60_000);
    afterAll(() => (database?.drop ? database.drop() : database?.close()));

    const find = (scope: ReadScope, q: string, types: readonly SearchType[] = SEARCH_TYPES) =>
      asTenant(database.db, scope, (trx) => searchRows(trx, scope, { q, types, paging: { size: 20, offset: 0 } }));

    it('indexes a policy’s current version as plain text, and follows its status', async () => {
      const spec = projectionSpecification(database, searchProjection).given([
        { stream: 'policy/p-1', type: 'PolicyGenerated', data: policy('# Rules\n\nNo **radiographs** in chatbots.') },
        {
          stream: 'policy/p-1',
          type: 'PolicyDraftEdited',
          data: {
            version: 2,
            content: '# Rules\n\nNo [mammograms](https://x.test) in chatbots.',
            contentHash: 'h2',
            authorId: 'u-1',
          },
        },
        { stream: 'policy/p-1', type: 'PolicyPublished', data: { version: 2, publishedBy: 'u-2', comment: null } },
      ]);
      const row = {
        doc_type: 'policy',
        ref_id: 'p-1',
        client_id: CLIENT,
        framework_id: 'hipaa',
        title: 'AI Acceptable Use Policy',
        body: 'Rules\n\nNo mammograms in chatbots.',
        keywords: 'hipaa',
        status: 'published',
      };
      await spec.then('search_documents', [row]);
      await spec.then('search_documents', [row]);
      const scope = { tenantId: spec.tenantId, clientId: null };
      expect(await find(scope, 'radiographs')).toEqual([]);
      const [hit] = await find(scope, 'mammogram');
      expect(hit).toMatchObject({ type: 'policy', id: 'p-1', status: 'published', total: expect.anything() });
      const snippet = highlighted(hit!.marked_body);
      expect(snippet.highlights.map((r) => snippet.text.slice(r.start, r.end))).toEqual(['mammograms']);
    });

    it('indexes evidence with the text kept at upload, the citations it is mapped to, and its retirement', async () => {
      const sha = 'a'.repeat(64);
      const spec = projectionSpecification(database, searchProjection).given([
        uploaded('e-1', CLIENT, sha, 'Penetration test', 'pentest_report-2026.pdf'),
        { stream: 'evidence/e-1', type: 'EvidenceMapped', data: { requirementIds: ['hipaa-001', 'hipaa-002'] } },
        { stream: 'evidence/e-1', type: 'EvidenceUnmapped', data: { requirementIds: ['hipaa-002'] } },
        { stream: 'evidence/e-1', type: 'EvidenceRetired', data: { retiredBy: 'u-1', reason: 'superseded' } },
        uploaded('e-2', CLIENT, 'b'.repeat(64), 'Logo', 'logo.png'),
      ]);
      await sql`insert into evidence_texts (tenant_id, sha256, text) values (${spec.tenantId}, ${sha}, 'The firewall quarantined zebrafish traffic.')`.execute(
        database.db,
      );
      await spec.then(
        'search_documents',
        [
          {
            ref_id: 'e-1',
            body: 'The firewall quarantined zebrafish traffic.',
            keywords: 'pentest_report-2026.pdf pentest report 2026 pdf\nhipaa-001 §164.308(a)(1)',
            refs: ['hipaa-001'],
            status: 'retired',
          },
          // No text kept (an image): found by its title and file name.
          { ref_id: 'e-2', body: '', keywords: 'logo.png logo png', refs: [], status: 'active' },
        ],
        'ref_id',
      );
      const scope = { tenantId: spec.tenantId, clientId: null };
      expect((await find(scope, 'zebrafish')).map((r) => [r.id, r.status])).toEqual([['e-1', 'retired']]);
      expect((await find(scope, '164.308(a)(1)', ['evidence'])).map((r) => r.id)).toEqual(['e-1']);
      expect((await find(scope, '164.308(a)(1)(ii)(A)', ['evidence'])).map((r) => r.id)).toEqual([]);
      expect((await find(scope, 'pentest report', ['evidence'])).map((r) => r.id)).toEqual(['e-1']);
    });

    it('indexes clients as renamed and archived, and violations without any prompt', async () => {
      const spec = projectionSpecification(database, searchProjection).given([
        {
          stream: `client/${CLIENT}`,
          type: 'ClientRegistered',
          data: { clientId: CLIENT, name: 'Acme Dental', industry: 'dentistry', size: '1-10', frameworks: ['hipaa'] },
        },
        { stream: `client/${CLIENT}`, type: 'ClientUpdated', data: { name: 'Acme Orthodontics' } },
        { stream: `client/${CLIENT}`, type: 'ClientArchived', data: { reason: null } },
        {
          stream: 'prompt-analysis/a-1',
          type: 'ViolationRecorded',
          data: {
            kind: 'sensitive-data',
            action: 'block',
            severity: 'high',
            clientId: CLIENT,
            aiServiceId: 's-1',
            analysisId: 'a-1',
            entityCounts: { US_SSN: 1 },
            reasons: ['US_SSN (score 0.95): block'],
          },
        },
      ]);
      await spec.then(
        'search_documents',
        [
          {
            doc_type: 'client',
            ref_id: CLIENT,
            title: 'Acme Orthodontics',
            body: 'dentistry',
            keywords: 'hipaa',
            status: 'archived',
          },
          {
            doc_type: 'violation',
            client_id: CLIENT,
            title: 'Sensitive data in a prompt (high, block)',
            body: 'US_SSN (score 0.95): block',
            keywords: 'sensitive-data high block US_SSN',
            status: 'open',
          },
        ],
        'doc_type',
      );
      const scope = { tenantId: spec.tenantId, clientId: null };
      expect((await find(scope, 'orthodontics')).map((r) => [r.type, r.status])).toEqual([['client', 'archived']]);
      expect(await find(scope, 'acme dental')).toEqual([]);
      expect((await find(scope, 'US_SSN')).map((r) => r.type)).toEqual(['violation']);
    });

    it('answers a reader its own tenant’s and client’s documents and the shared requirements, ranked', async () => {
      const spec = projectionSpecification(database, searchProjection).given([
        uploaded('e-1', 'c-1', 'c'.repeat(64), 'Quarterly access review', 'review.pdf'),
        uploaded('e-2', 'c-2', 'd'.repeat(64), 'Access review of the other client', 'other.pdf'),
        uploaded('e-3', 'c-1', 'e'.repeat(64), 'Badge list', 'badges.pdf'),
      ]);
      await sql`insert into evidence_texts (tenant_id, sha256, text) values (${spec.tenantId}, ${'e'.repeat(64)}, 'Reviewed once: access.')`.execute(
        database.db,
      );
      await spec.then('search_documents', [{ ref_id: 'e-1' }, { ref_id: 'e-2' }, { ref_id: 'e-3' }], 'ref_id');
      await requirementIndex(database);
      const msp = await find({ tenantId: spec.tenantId, clientId: null }, 'access review', ['evidence']);
      // A match in the title outranks one in the body.
      expect(msp.map((r) => r.id)).toEqual(['e-1', 'e-2', 'e-3']);
      const client = await find({ tenantId: spec.tenantId, clientId: 'c-1' }, 'access review');
      expect(client.filter((r) => r.type === 'evidence').map((r) => r.id)).toEqual(['e-1', 'e-3']);
      expect(client.some((r) => r.type === 'requirement')).toBe(true);
      // Row-level security on its own, without the query's conditions: the client's rows only.
      const visible = await asTenant(database.db, { tenantId: spec.tenantId, clientId: 'c-1' }, (trx) =>
        sql<{ ref_id: string }>`select ref_id from search_documents order by ref_id`.execute(trx),
      );
      expect(visible.rows.map((r) => r.ref_id)).toEqual(['e-1', 'e-3']);
      expect(await find({ tenantId: randomUUID(), clientId: null }, 'access review', ['evidence'])).toEqual([]);
      // A requirement by its citation, the exact one first (HIPAA writes "§164.308(a)(1)").
      const [first] = await find({ tenantId: spec.tenantId, clientId: 'c-1' }, '§ 164.308(a)(1)', ['requirement']);
      expect(first).toMatchObject({ type: 'requirement', citation: '§164.308(a)(1)', framework_id: 'hipaa' });
    });

    it('is in the catalog, so that a rebuild fills it again from the log, keeping its row-level security', async () => {
      expect(projectionNamed('search')).toBe(searchProjection);
      const store = new PostgresEventStore(database);
      const tenantId = randomUUID();
      const clientId = randomUUID();
      const written = await store.append(
        `${tenantId}/client/${clientId}`,
        [
          {
            type: 'ClientRegistered',
            data: { clientId, name: 'Rebuilt Clinic', industry: 'health', size: '1-10' },
            metadata: { tenantId, actorId: 'u', correlationId: 'c' },
          },
        ],
        { expectedRevision: 'no_stream' },
      );
      await eventually(async () => (await store.headPosition()) >= written.position, 'the event to be visible', 30_000);
      await rebuildProjection({
        projection: searchProjection,
        eventStore: store,
        database,
        logger: createLogger({ level: 'silent', format: 'json' }),
      });
      expect((await find({ tenantId, clientId: null }, 'rebuilt')).map((r) => r.id)).toEqual([clientId]);
      expect(await find({ tenantId, clientId: randomUUID() }, 'rebuilt')).toEqual([]);
      const { rows } = await sql<{ policyname: string }>`
        select policyname from pg_policies where tablename = 'search_documents' and schemaname = current_schema() order by 1`.execute(
        database.db,
      );
      expect(rows.map((p) => p.policyname)).toEqual(['projector', 'reader']);
    });
  });
}
