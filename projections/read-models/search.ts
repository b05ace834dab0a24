import { sql, type Transaction } from 'kysely';
import { z } from 'zod';
import type { ClientEvent } from '../../domain/clients/client.js';
import type { EvidenceEvent } from '../../domain/evidence/evidence.js';
import { citationOf, FRAMEWORKS, requirementList } from '../../domain/frameworks/index.js';
import type { PolicyEvent } from '../../domain/policies/policy.js';
import type { ViolationEvent } from '../../domain/violations/violation.js';
import type { ViolationWorkflowEvent } from '../../domain/violations/workflow.js';
import { aggregateIdOf, type Projection, type RecordedOf } from '../projection.js';

/** What a search finds: a tenant's own documents, and the catalogs' requirements that every tenant shares. */
export const SEARCH_TYPES = ['policy', 'requirement', 'evidence', 'client', 'violation'] as const;
export type SearchType = (typeof SEARCH_TYPES)[number];

/** One searchable document of a tenant (migration 0030). `document`, the tsvector, is generated from the rest. */
export interface SearchDocumentsTable {
  tenant_id: string;
  doc_type: Exclude<SearchType, 'requirement'>;
  ref_id: string;
  /** The client it belongs to; a client's own document carries its own id. */
  client_id: string;
  framework_id: string | null;
  title: string;
  /** Plain text: a policy's current version, an evidence file's text, a client's industry, a violation's reasons. */
  body: string;
  /** Identifiers as written (citations, file names, entity types, framework ids), space-separated. */
  keywords: string;
  /** Evidence: the requirement ids it is mapped to (their citations are in keywords). */
  refs: string[];
  status: string | null;
  updated_at: Date;
}

/** A framework's requirement, indexed once for every tenant (migration 0031). */
export interface SearchRequirementsTable {
  framework_id: string;
  requirement_id: string;
  citation: string;
  /** The citation as people type it: lower case, without "§" and spaces (164.308(a)(1)). */
  citation_key: string;
  title: string;
  body: string;
  keywords: string;
}

export interface SearchTables {
  search_documents: SearchDocumentsTable;
  search_requirements: SearchRequirementsTable;
}

/** The most text of one document that is indexed (a tsvector holds at most 1 MB): the rest is not searched. */
export const MAX_INDEXED_CHARS = 100_000;

/**
 * Text as the index keeps it: control characters (which ts_headline's markers are made of, query-api/search) become
 * spaces, and it is cut at MAX_INDEXED_CHARS.
 */
export function indexable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ').slice(0, MAX_INDEXED_CHARS);
}

/** Markdown as a reader sees it: the words, without heading marks, emphasis, code fences or link targets. */
export function plainMarkdown(markdown: string): string {
  return markdown
    .replace(/^```.*$/gm, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^\s{0,3}(#{1,6}|>+|[-*+]|\d+\.)\s+/gm, '')
    .replace(/(\*\*|__|\*|`)/g, '');
}

/** The citation of a requirement as people type it, to compare with a query. */
export const citationKey = (citation: string): string => citation.replace(/[§\s]/g, '').toLowerCase();

/** A file name's words: "soc2_access-review.pdf" also as "soc2 access review pdf". */
const fileNameWords = (fileName: string): string => `${fileName} ${fileName.replace(/[._-]+/g, ' ')}`;

let citations: Map<string, string[]> | undefined;
/** The citations of requirement ids, over every shipped catalog (an id names one requirement in each catalog it is in). */
function citationsOf(requirementIds: readonly string[]): string[] {
  if (!citations) {
    citations = new Map();
    for (const catalog of Object.values(FRAMEWORKS))
      for (const requirement of requirementList(catalog))
        citations.set(requirement.id, [...(citations.get(requirement.id) ?? []), citationOf(requirement)]);
  }
  return [...new Set(requirementIds.flatMap((id) => [id, ...(citations!.get(id) ?? [])]))];
}

const KIND_TITLES: Record<ViolationEvent['data']['kind'], string> = {
  'sensitive-data': 'Sensitive data in a prompt',
  'unapproved-ai-service': 'Prompt to an unapproved AI service',
  'evidence-expired': 'Evidence expired',
};

/** A violation's document: what kind, how severe, what was done, why and on which entity types. Never a prompt. */
export function violationDocument(data: ViolationEvent['data']) {
  return {
    title: `${KIND_TITLES[data.kind]} (${data.severity}, ${data.action})`,
    body: data.reasons.join('. '),
    keywords: [data.kind, data.severity, data.action, ...Object.keys(data.entityCounts).sort()].join(' '),
  };
}

type SearchedEvent = PolicyEvent | EvidenceEvent | ClientEvent | ViolationEvent | ViolationWorkflowEvent;

/**
 * The search index of each tenant's policies (their current version's text), evidence (title, file name, the text
 * extracted at upload, the citations it is mapped to), clients (name, industry, frameworks) and violations (kind,
 * severity, action, reasons, entity types). Retired, archived and resolved documents stay, with their status: the
 * query side ranks retired and archived ones lower. Requirements are not here: they are every tenant's alike
 * (search_requirements).
 */
export const searchProjection: Projection<SearchedEvent> = {
  name: 'search',
  version: 1,
  canHandle: [
    'PolicyGenerated',
    'PolicyDraftEdited',
    'PolicySubmitted',
    'PolicyApproved',
    'PolicyPublished',
    'PolicyRetired',
    'EvidenceUploaded',
    'EvidenceMapped',
    'EvidenceUnmapped',
    'EvidenceRetired',
    'ClientRegistered',
    'ClientUpdated',
    'ClientArchived',
    'ViolationRecorded',
    'ViolationAcknowledged',
    'ViolationResolved',
    'ViolationReopened',
  ],
  tables: ['search_documents'],
  async apply(trx, events, table) {
    for (const event of events) await applyOne(trx, event, sql.table(table('search_documents')));
  },
};

async function applyOne(
  trx: Transaction<unknown>,
  event: RecordedOf<SearchedEvent>,
  docs: ReturnType<typeof sql.table>,
): Promise<void> {
  const tenantId = event.metadata.tenantId;
  const at = sql`${event.metadata.recordedAt}::timestamptz`;
  const id = aggregateIdOf(event.streamId);
  const upsert = (doc: {
    type: SearchDocumentsTable['doc_type'];
    refId: string;
    clientId: string;
    frameworkId?: string;
    title: string;
    body?: string;
    keywords?: string;
    status: string;
  }) =>
    sql`insert into ${docs} (tenant_id, doc_type, ref_id, client_id, framework_id, title, body, keywords, status, updated_at)
        values (${tenantId}, ${doc.type}, ${doc.refId}, ${doc.clientId}, ${doc.frameworkId ?? null}, ${indexable(doc.title)},
          ${indexable(doc.body ?? '')}, ${indexable(doc.keywords ?? '')}, ${doc.status}, ${at})
        on conflict (tenant_id, doc_type, ref_id) do nothing`.execute(trx);
  const where = (type: SearchDocumentsTable['doc_type'], refId: string) =>
    sql`where tenant_id = ${tenantId} and doc_type = ${type} and ref_id = ${refId}`;
  const setStatus = (type: SearchDocumentsTable['doc_type'], refId: string, status: string) =>
    sql`update ${docs} set status = ${status}, updated_at = ${at} ${where(type, refId)}`.execute(trx);

  switch (event.type) {
    case 'PolicyGenerated':
      await upsert({
        type: 'policy',
        refId: id,
        clientId: event.data.clientId,
        frameworkId: event.data.frameworkId,
        title: event.data.title,
        body: plainMarkdown(event.data.content),
        keywords: event.data.frameworkId,
        status: 'draft',
      });
      return;
    case 'PolicyDraftEdited':
      // A new version is what the policy says now (GET /policies/{id} shows it): its text replaces the last one's.
      await sql`update ${docs} set body = ${indexable(plainMarkdown(event.data.content))}, status = 'draft', updated_at = ${at}
        ${where('policy', id)}`.execute(trx);
      return;
    case 'PolicySubmitted':
      return void (await setStatus('policy', id, 'in_review'));
    case 'PolicyApproved':
      return void (await setStatus('policy', id, 'approved'));
    case 'PolicyPublished':
      return void (await setStatus('policy', id, 'published'));
    case 'PolicyRetired':
      return void (await setStatus('policy', id, 'retired'));

    case 'EvidenceUploaded': {
      // The file's text as extracted when it was uploaded (evidence_texts): none for images, spreadsheets, unreadable
      // files and evidence uploaded before search existed, which are found by title and file name.
      const { rows } = await sql<{ text: string }>`
        select text from evidence_texts where tenant_id = ${tenantId} and sha256 = ${event.data.sha256}`.execute(trx);
      await upsert({
        type: 'evidence',
        refId: event.data.evidenceId,
        clientId: event.data.clientId,
        title: event.data.title,
        body: rows[0]?.text ?? '',
        keywords: fileNameWords(event.data.fileName),
        status: 'active',
      });
      return;
    }
    case 'EvidenceMapped':
    case 'EvidenceUnmapped': {
      const { rows } = await sql<{ refs: string[]; keywords: string }>`
        select refs, keywords from ${docs} ${where('evidence', id)}`.execute(trx);
      const row = rows[0];
      if (!row) return;
      const changed = event.data.requirementIds;
      const refs =
        event.type === 'EvidenceMapped'
          ? [...new Set([...row.refs, ...changed])].sort()
          : row.refs.filter((ref) => !changed.includes(ref));
      // The file name's words are the first line and stay; the mapped requirements' ids and citations follow them.
      const fileWords = row.keywords.split('\n')[0]!;
      const keywords = refs.length > 0 ? `${fileWords}\n${citationsOf(refs).join(' ')}` : fileWords;
      await sql`update ${docs} set refs = ${refs}::text[], keywords = ${indexable(keywords)}, updated_at = ${at}
        ${where('evidence', id)}`.execute(trx);
      return;
    }
    case 'EvidenceRetired':
      return void (await setStatus('evidence', id, 'retired'));

    case 'ClientRegistered':
      await upsert({
        type: 'client',
        refId: event.data.clientId,
        clientId: event.data.clientId,
        title: event.data.name,
        body: event.data.industry,
        keywords: (event.data.frameworks ?? []).join(' '),
        status: 'active',
      });
      return;
    case 'ClientUpdated': {
      const { name, industry, frameworks } = event.data;
      await sql`update ${docs} set title = coalesce(${name === undefined ? null : indexable(name)}, title),
          body = coalesce(${industry === undefined ? null : indexable(industry)}, body),
          keywords = coalesce(${frameworks === undefined ? null : frameworks.join(' ')}, keywords), updated_at = ${at}
        ${where('client', id)}`.execute(trx);
      return;
    }
    case 'ClientArchived':
      return void (await setStatus('client', id, 'archived'));

    case 'ViolationRecorded':
      await upsert({
        type: 'violation',
        refId: event.id,
        clientId: event.data.clientId,
        ...violationDocument(event.data),
        status: 'open',
      });
      return;
    case 'ViolationAcknowledged':
      return void (await setStatus('violation', event.data.violationId, 'acknowledged'));
    case 'ViolationResolved':
      return void (await setStatus('violation', event.data.violationId, 'resolved'));
    case 'ViolationReopened':
      return void (await setStatus('violation', event.data.violationId, 'open'));
  }
}

/** A range of a text that matched the query: from `start` up to (not including) `end`, in UTF-16 code units. */
export const Highlight = z
  .object({ start: z.int().min(0), end: z.int().min(0) })
  .meta({ id: 'SearchHighlight', description: 'A matched range: [start, end) in UTF-16 code units of its text' });

/** A search result as the API shows it. */
export const SearchResult = z
  .object({
    type: z.enum(SEARCH_TYPES),
    id: z.string().describe('The policyId, evidenceId, clientId or violationId; for a requirement its requirement id'),
    clientId: z.string().nullable().describe('The client it belongs to; null for a requirement (every tenant’s)'),
    frameworkId: z.string().nullable().describe('A policy’s or a requirement’s framework; null otherwise'),
    citation: z.string().nullable().describe('A requirement’s official citation; null otherwise'),
    title: z.string(),
    titleHighlights: z.array(Highlight),
    snippet: z.string().describe('Plain text around the best matches (fragments joined by " … "); never markup'),
    highlights: z.array(Highlight).describe('The matched words of `snippet`'),
    status: z
      .string()
      .nullable()
      .describe(
        'The document’s status (draft, published, retired, active, archived, open, resolved…); null for a requirement',
      ),
    rank: z.number().describe('Relevance (ts_rank): higher first; retired and archived documents count half'),
  })
  .meta({ id: 'SearchResult' });
