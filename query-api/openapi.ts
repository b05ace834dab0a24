import { FRAMEWORK_IDS } from '../domain/frameworks/index.js';
import { aiServiceProfile } from '../command-api/openapi.js';

/** The read side's part of the OpenAPI document. */
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});
const authed = {
  '401': problem('Missing, invalid or expired access token'),
  '403': problem('Your role lacks the permission this route needs'),
  default: problem('Any other problem'),
};
const bearer = [{ bearer: [] }];
const summary = {
  type: 'object',
  required: ['frameworkId', 'name', 'version', 'source', 'requirementCount'],
  properties: {
    frameworkId: { enum: FRAMEWORK_IDS },
    name: { type: 'string' },
    version: { type: 'string', description: 'The catalog version an assessment pins' },
    source: {
      type: 'object',
      properties: { title: { type: 'string' }, license: { type: 'string' }, origin: { type: 'string' } },
    },
    requirementCount: { type: 'integer' },
  },
};

export const queryApiSchemas: Record<string, unknown> = {
  CatalogNode: {
    type: 'object',
    required: ['id', 'title', 'kind'],
    properties: {
      id: { type: 'string' },
      title: { type: 'string' },
      kind: { enum: ['group', 'requirement'] },
      children: { type: 'array', items: { $ref: '#/components/schemas/CatalogNode' } },
    },
  },
};

const uuid = { type: 'string', format: 'uuid' };
const listMeta = {
  type: 'object',
  required: ['total', 'page', 'size', 'pages'],
  properties: {
    total: { type: 'integer' },
    page: { type: 'integer' },
    size: { type: 'integer' },
    pages: { type: 'integer' },
  },
};
const list = (items: unknown) => ({
  type: 'object',
  required: ['data', 'meta'],
  properties: { data: { type: 'array', items }, meta: listMeta },
});

// allowReserved: times ("2024-05-01T09:00:00Z") and lists ("a,b") may be sent as people type them, colons and commas
// unencoded; only "+" (a space in a query string) and "&" must be encoded.
const q = (name: string, schema: unknown, description?: string, required = false) => ({
  name,
  in: 'query',
  required,
  allowReserved: true,
  schema,
  ...(description ? { description } : {}),
});
const paging = [
  q('page', { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1 }),
  q('size', { type: 'integer', minimum: 1, maximum: 100, default: 20 }),
];
const range = [
  q('from', { type: 'string', format: 'date-time' }, 'inclusive'),
  q('to', { type: 'string', format: 'date-time' }, 'exclusive'),
];
const minPosition = {
  name: 'X-Min-Position',
  in: 'header',
  required: false,
  schema: { type: 'string' },
  description:
    "A command's meta.position: the answer waits until the read model has reached it (503 with Retry-After if it takes too long)",
};
const json = (description: string, schema: unknown) => ({ description, content: { 'application/json': { schema } } });
const object = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({
  type: 'object',
  required,
  properties,
});
const nullableString = { type: ['string', 'null'] };
const clientSchema = object({
  clientId: uuid,
  name: { type: 'string' },
  industry: { type: 'string' },
  size: { type: 'string' },
  frameworks: { type: 'array', items: { type: 'string' } },
  status: { enum: ['active', 'archived'] },
  createdAt: { type: 'string', format: 'date-time' },
  updatedAt: { type: 'string', format: 'date-time' },
});
const evidenceSchema = object({
  evidenceId: uuid,
  clientId: { type: 'string' },
  title: { type: 'string' },
  fileName: { type: 'string' },
  contentType: { type: 'string' },
  sha256: { type: 'string' },
  size: { type: 'integer' },
  validFrom: { type: 'string', format: 'date-time' },
  expiresAt: { type: 'string', format: 'date-time' },
  requirementIds: { type: 'array', items: { type: 'string' } },
  status: { enum: ['active', 'retired'] },
  freshness: { enum: ['valid', 'expiring', 'expired'] },
  uploadedBy: { type: 'string' },
  uploadedAt: { type: 'string', format: 'date-time' },
});
const policySchema = object({
  policyId: uuid,
  clientId: { type: 'string' },
  frameworkId: { type: 'string' },
  title: { type: 'string' },
  status: { enum: ['draft', 'in_review', 'approved', 'published', 'retired'] },
  version: { type: 'integer' },
  publishedVersion: { type: ['integer', 'null'] },
  createdAt: { type: 'string', format: 'date-time' },
  updatedAt: { type: 'string', format: 'date-time' },
});
const historyEvent = object({
  eventId: uuid,
  streamId: { type: 'string' },
  revision: { type: 'integer' },
  position: { type: 'string' },
  type: { type: 'string' },
  schemaVersion: { type: 'integer' },
  data: { type: 'object' },
  metadata: { type: 'object' },
});
const asOf = q(
  'asOf',
  { type: 'string' },
  'an ISO 8601 time (not in the future) or a log position: the state as it was then, replayed from the log',
);
const one = (id: string) => ({ name: id, in: 'path', required: true, schema: uuid });
const assessmentSchema = object({
  assessmentId: uuid,
  clientId: { type: 'string' },
  frameworkId: { type: 'string' },
  catalogVersion: { type: 'string', description: 'The catalog version the assessment pinned when it started' },
  title: { type: 'string' },
  status: { enum: ['in_progress', 'submitted'] },
  score: { type: ['number', 'null'], description: "On the framework's scale, at submission" },
  progress: { type: ['number', 'null'] },
  startedAt: { type: 'string', format: 'date-time' },
  submittedAt: { type: ['string', 'null'], format: 'date-time' },
});
const userSchema = object({
  userId: uuid,
  email: { type: ['string', 'null'], description: '"[erased]" or null once the user is erased' },
  name: nullableString,
  role: { type: 'string' },
  clientId: nullableString,
  status: { enum: ['invited', 'active', 'deactivated', 'erased'] },
  emailVerified: { type: 'boolean' },
  createdAt: { type: 'string', format: 'date-time' },
  updatedAt: { type: 'string', format: 'date-time' },
});
const single = (description: string, data: unknown) =>
  json(
    description,
    object({
      data,
      meta: { type: 'object', description: 'with asOf: the moment read and the last position replayed' },
    }),
  );
const stale = { '503': problem('The read model has not reached X-Min-Position in time; see Retry-After') };

export const queryApiPaths: Record<string, unknown> = {
  '/api/v1/clients': {
    get: {
      operationId: 'listClients',
      tags: ['clients'],
      summary: "The MSP's clients (a client-scoped user sees its own)",
      security: bearer,
      parameters: [
        ...paging,
        q('status', { enum: ['active', 'archived'] }),
        q('framework', { enum: FRAMEWORK_IDS }),
        q('q', { type: 'string', maxLength: 200 }, 'name contains'),
        q('clientId', uuid),
        q('sort', { enum: ['name', 'createdAt'] }),
        minPosition,
      ],
      responses: { '200': json('Clients', list(clientSchema)), ...stale, ...authed },
    },
  },
  '/api/v1/clients/{id}': {
    get: {
      operationId: 'getClient',
      tags: ['clients'],
      summary: 'One client, now or as it was at asOf',
      security: bearer,
      parameters: [one('id'), asOf, minPosition],
      responses: {
        '200': json('The client', object({ data: clientSchema, meta: { type: 'object' } })),
        '404': problem('No such client'),
        ...stale,
        ...authed,
      },
    },
  },
  '/api/v1/policies': {
    get: {
      operationId: 'listPolicies',
      tags: ['policies'],
      summary: 'Policies, most recently changed first (or by creation or title)',
      security: bearer,
      parameters: [
        ...paging,
        ...range.map((p) => ({ ...p, description: `${p.description}: when the policy last changed` })),
        q('clientId', uuid),
        q('status', { enum: ['draft', 'in_review', 'approved', 'published', 'retired'] }),
        q('frameworkId', { enum: FRAMEWORK_IDS }),
        q('sort', { enum: ['updatedAt', 'createdAt', 'title'], default: 'updatedAt' }),
        minPosition,
      ],
      responses: { '200': json('Policies', list(policySchema)), ...stale, ...authed },
    },
  },
  '/api/v1/policies/{id}': {
    get: {
      operationId: 'getPolicy',
      tags: ['policies'],
      summary: 'One policy with the content of its current version, now or as it was at asOf',
      security: bearer,
      parameters: [one('id'), asOf, minPosition],
      responses: {
        '200': json(
          'The policy',
          object({
            data: {
              ...policySchema,
              required: [...policySchema.required, 'content', 'contentHash'],
              properties: { ...policySchema.properties, content: { type: 'string' }, contentHash: { type: 'string' } },
            },
            meta: { type: 'object' },
          }),
        ),
        '404': problem('No such policy'),
        ...stale,
        ...authed,
      },
    },
  },
  '/api/v1/policies/{id}/versions': {
    get: {
      operationId: 'listPolicyVersions',
      tags: ['policies'],
      summary:
        'Every version of a policy with its review history (generated, edited, submitted, approved, published), now or as at asOf',
      security: bearer,
      parameters: [one('id'), asOf, minPosition],
      responses: {
        '200': json(
          'Versions',
          list(
            object({
              version: { type: 'integer' },
              contentHash: { type: 'string' },
              authorId: { type: 'string' },
              createdAt: { type: 'string', format: 'date-time' },
              history: {
                type: 'array',
                items: object({
                  action: { type: 'string' },
                  actorId: { type: 'string' },
                  comment: nullableString,
                  at: { type: 'string', format: 'date-time' },
                }),
              },
            }),
          ),
        ),
        '404': problem('No such policy'),
        ...stale,
        ...authed,
      },
    },
  },
  '/api/v1/evidence': {
    get: {
      operationId: 'listEvidence',
      tags: ['evidence'],
      summary:
        'Evidence, soonest to expire first (or newest upload, or title), with its freshness (valid, expiring within 30 days, expired)',
      security: bearer,
      parameters: [
        ...paging,
        ...range.map((p) => ({ ...p, description: `${p.description}: when it was uploaded` })),
        q('clientId', uuid),
        q('freshness', { enum: ['valid', 'expiring', 'expired'] }),
        q('requirementId', { type: 'string' }),
        q('sort', { enum: ['expiresAt', 'uploadedAt', 'title'], default: 'expiresAt' }),
        minPosition,
      ],
      responses: { '200': json('Evidence', list(evidenceSchema)), ...stale, ...authed },
    },
  },
  '/api/v1/evidence/{id}': {
    get: {
      operationId: 'getEvidence',
      tags: ['evidence'],
      summary: 'One piece of evidence with its freshness, now or as it was at asOf (freshness at that moment)',
      security: bearer,
      parameters: [one('id'), asOf, minPosition],
      responses: {
        '200': json('The evidence', object({ data: evidenceSchema, meta: { type: 'object' } })),
        '404': problem('No such evidence'),
        ...stale,
        ...authed,
      },
    },
  },
  '/api/v1/assessments': {
    get: {
      operationId: 'listAssessments',
      tags: ['assessments'],
      summary: 'Assessments, most recently started first (or by score)',
      security: bearer,
      parameters: [
        ...paging,
        ...range,
        q('clientId', uuid),
        q('frameworkId', { enum: FRAMEWORK_IDS }),
        q('status', { enum: ['in_progress', 'submitted'] }),
        q('sort', { enum: ['startedAt', 'score'] }),
        minPosition,
      ],
      responses: { '200': json('Assessments', list(assessmentSchema)), ...stale, ...authed },
    },
  },
  '/api/v1/assessments/{id}': {
    get: {
      operationId: 'getAssessment',
      tags: ['assessments'],
      summary: 'One assessment with its result per requirement, now or as it was at asOf',
      security: bearer,
      parameters: [one('id'), asOf, minPosition],
      responses: {
        '200': single('The assessment', {
          ...assessmentSchema,
          required: [...assessmentSchema.required, 'results'],
          properties: {
            ...assessmentSchema.properties,
            results: {
              type: 'array',
              items: object({
                requirementId: { type: 'string' },
                result: { type: 'string' },
                score: { type: ['number', 'null'] },
                evidenceIds: { type: 'array', items: { type: 'string' } },
              }),
            },
          },
        }),
        '404': problem('No such assessment'),
        ...stale,
        ...authed,
      },
    },
  },
  '/api/v1/users': {
    get: {
      operationId: 'listUsers',
      tags: ['users'],
      summary: "The tenant's users and their roles (a client-scoped user sees its client's)",
      security: bearer,
      parameters: [
        ...paging,
        q('clientId', uuid),
        q('role', { type: 'string' }),
        q('status', { enum: ['invited', 'active', 'deactivated', 'erased'] }),
        minPosition,
      ],
      responses: { '200': json('Users', list(userSchema)), ...stale, ...authed },
    },
  },
  '/api/v1/users/{id}': {
    get: {
      operationId: 'getUser',
      tags: ['users'],
      summary: 'One user, now or as at asOf',
      security: bearer,
      parameters: [one('id'), asOf, minPosition],
      responses: { '200': single('The user', userSchema), '404': problem('No such user'), ...stale, ...authed },
    },
  },
  '/api/v1/ai-services': {
    get: {
      operationId: 'listAiServices',
      tags: ['ai-governance'],
      summary:
        "The AI service registry; with clientId, that client's approval of each and its use of them over 30 days",
      security: bearer,
      parameters: [...paging, q('clientId', uuid), minPosition],
      responses: {
        '200': json(
          'AI services',
          list(
            object({
              ...aiServiceProfile,
              registeredAt: { type: 'string', format: 'date-time' },
              approval: { enum: ['approved', 'revoked', 'none', null] },
              usageLast30Days: object({
                analysed: { type: 'integer' },
                warned: { type: 'integer' },
                redacted: { type: 'integer' },
                blocked: { type: 'integer' },
              }),
            }),
          ),
        ),
        ...stale,
        ...authed,
      },
    },
  },
  '/api/v1/msp/summary': {
    get: {
      operationId: 'mspSummary',
      tags: ['msp'],
      summary:
        'For each active client: latest compliance score per framework and its trend, violations by severity (24 h, 7 d, 30 d), AI usage by service, policies by status, evidence expiring soon; now or as it was at asOf',
      description:
        "A score is the latest submitted assessment's, recomputed at the moment read (now, or asOf) over the catalog version the assessment pinned and the freshness of its linked evidence at that moment: compliant requirements whose evidence has all expired count as partially compliant (listed in `flagged`). `submittedScore` is the score recorded at submission; `trend` compares the score with the previous assessment's.",
      security: bearer,
      parameters: [asOf, minPosition],
      responses: {
        '200': json(
          'The summary',
          object({
            data: {
              type: 'array',
              items: object({
                clientId: { type: 'string' },
                name: { type: 'string' },
                frameworks: { type: 'array', items: { type: 'string' } },
                scores: {
                  type: 'array',
                  items: object({
                    frameworkId: { type: 'string' },
                    assessmentId: { type: 'string' },
                    catalogVersion: { type: 'string' },
                    score: { type: ['number', 'null'] },
                    progress: { type: 'number' },
                    submittedScore: { type: ['number', 'null'] },
                    submittedAt: { type: 'string' },
                    flagged: { type: 'array', items: { type: 'string' } },
                    basis: { enum: ['recomputed', 'as-submitted'] },
                    previousScore: { type: ['number', 'null'] },
                    trend: { type: ['number', 'null'] },
                  }),
                },
                violations: object({
                  last24h: { type: 'object' },
                  last7d: { type: 'object' },
                  last30d: { type: 'object' },
                }),
                aiUsage: { type: 'array', items: { type: 'object' } },
                policies: { type: 'object' },
                evidence: object({ expiringSoon: { type: 'integer' }, expired: { type: 'integer' } }),
              }),
            },
            meta: object(
              {
                generatedAt: { type: 'string' },
                total: { type: 'integer' },
                asOf: { type: 'string' },
                position: { type: ['string', 'null'] },
                eventsReplayed: { type: 'integer' },
              },
              ['generatedAt', 'total'],
            ),
          }),
        ),
        ...stale,
        ...authed,
      },
    },
  },
  '/api/v1/violations': {
    get: {
      operationId: 'listViolations',
      tags: ['violations'],
      summary: 'Violations, newest first: sensitive data in prompts, unapproved AI services, expired evidence',
      security: bearer,
      parameters: [
        ...paging,
        ...range,
        q('clientId', uuid),
        q('severity', { enum: ['low', 'medium', 'high', 'critical'] }),
        q('kind', { enum: ['sensitive-data', 'unapproved-ai-service', 'evidence-expired'] }),
        q('action', { enum: ['warn', 'redact', 'block'] }),
        q('aiServiceId', uuid),
        q('sort', { enum: ['occurredAt', '-occurredAt'] }),
        minPosition,
      ],
      responses: {
        '200': json(
          'Violations',
          list(
            object({
              violationId: uuid,
              clientId: { type: 'string' },
              kind: { type: 'string' },
              severity: { type: 'string' },
              action: { type: 'string' },
              aiServiceId: nullableString,
              analysisId: nullableString,
              evidenceId: nullableString,
              entityCounts: { type: 'object', additionalProperties: { type: 'integer' } },
              reasons: { type: 'array', items: { type: 'string' } },
              occurredAt: { type: 'string', format: 'date-time' },
              position: { type: 'string' },
            }),
          ),
        ),
        ...stale,
        ...authed,
      },
    },
  },
  '/api/v1/prompt-analyses': {
    get: {
      operationId: 'listPromptAnalyses',
      tags: ['ai-governance'],
      summary: 'Prompt analyses, newest first: what was found where (never the prompt), the decision and its reasons',
      security: bearer,
      parameters: [
        ...paging,
        ...range,
        q('clientId', uuid),
        q('aiServiceId', uuid),
        q('decision', { enum: ['allow', 'warn', 'redact', 'block'] }),
        q('entity', { type: 'string', maxLength: 64 }, 'analyses that found this entity type'),
        q('conversationId', { type: 'string', maxLength: 200 }),
        minPosition,
      ],
      responses: {
        '200': json(
          'Analyses',
          list(
            object({
              analysisId: uuid,
              clientId: { type: 'string' },
              aiServiceId: { type: 'string' },
              decision: { enum: ['allow', 'warn', 'redact', 'block'] },
              findings: { type: 'array', items: { type: 'object' } },
              entityCounts: { type: 'object', additionalProperties: { type: 'integer' } },
              reasons: { type: 'array', items: { type: 'string' } },
              serviceApproved: { type: 'boolean' },
              promptLength: { type: 'integer' },
              conversationId: nullableString,
              userRefHash: nullableString,
              engineVersion: { type: 'integer' },
              analysedAt: { type: 'string', format: 'date-time' },
              position: { type: 'string' },
            }),
          ),
        ),
        ...stale,
        ...authed,
      },
    },
  },
  '/api/v1/audit': {
    get: {
      operationId: 'listAudit',
      tags: ['audit'],
      summary:
        'Who did what, when, from where and with what outcome: one entry per recorded event and per refused command, newest first',
      description:
        'A refused command is an authenticated command answered with a 4xx by a permission, domain or concurrency rule (type CommandRefused): its entry says what was asked (method and path, never the body) and why it was refused. Requests refused by schema validation never became commands and are not listed.',
      security: bearer,
      parameters: [
        ...paging,
        ...range,
        q('actorId', { type: 'string' }),
        q('type', { type: 'string' }, 'event type'),
        q('outcome', { enum: ['recorded', 'refused'] }),
        minPosition,
      ],
      responses: {
        '200': json(
          'Audit entries',
          list(
            object({
              position: { type: 'string' },
              eventId: uuid,
              streamId: { type: 'string' },
              type: { type: 'string' },
              actorId: { type: 'string' },
              correlationId: { type: 'string' },
              ip: nullableString,
              recordedAt: { type: 'string', format: 'date-time' },
              outcome: { enum: ['recorded', 'refused'] },
              refusal: {
                type: ['object', 'null'],
                properties: {
                  method: { type: 'string' },
                  path: { type: 'string' },
                  status: { type: 'integer' },
                  problem: { type: 'string' },
                  title: { type: 'string' },
                  detail: nullableString,
                  fields: { type: 'array', items: { type: 'string' } },
                },
              },
            }),
          ),
        ),
        ...stale,
        ...authed,
      },
    },
  },
  '/api/v1/audit/export': {
    get: {
      operationId: 'exportAudit',
      tags: ['audit'],
      summary: 'The audit log for a time range as CSV or JSON Lines, streamed in position order',
      security: bearer,
      parameters: [...range, q('format', { enum: ['csv', 'jsonl'], default: 'csv' }), minPosition],
      responses: {
        '200': {
          description: 'The export',
          content: {
            'text/csv': { schema: { type: 'string' } },
            'application/x-ndjson': { schema: { type: 'string' } },
          },
        },
        ...stale,
        ...authed,
      },
    },
  },
  '/api/v1/history/streams/{streamId}': {
    get: {
      operationId: 'streamHistory',
      tags: ['history'],
      summary: "One aggregate's events, in order (the stream id URL-encoded, as in violation links)",
      security: bearer,
      parameters: [{ name: 'streamId', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        '200': json(
          'Events',
          object({ data: { type: 'array', items: historyEvent }, meta: object({ total: { type: 'integer' } }) }),
        ),
        '404': problem('No such stream in your tenant'),
        ...authed,
      },
    },
  },
  '/api/v1/history/events': {
    get: {
      operationId: 'tenantHistory',
      tags: ['history'],
      summary:
        "The tenant's log in global order, filtered by time and type, paginated by position (meta.next → ?after=)",
      security: bearer,
      parameters: [
        ...range,
        q('type', { type: 'string' }, 'event types, comma-separated'),
        q('after', { type: 'string' }, 'meta.next of the previous page'),
        q('size', { type: 'integer', minimum: 1, maximum: 500, default: 100 }),
      ],
      responses: {
        '200': json(
          'Events',
          object({
            data: { type: 'array', items: historyEvent },
            meta: object({ size: { type: 'integer' }, next: nullableString }),
          }),
        ),
        ...authed,
      },
    },
  },
  '/api/v1/history/verify': {
    get: {
      operationId: 'verifyHistory',
      tags: ['history'],
      summary: "Recomputes the tenant's hash chains and reports the first broken link, if any",
      security: bearer,
      responses: {
        '200': json(
          'Verification',
          object({
            data: object(
              {
                tenantId: { type: 'string' },
                ok: { type: 'boolean' },
                eventsChecked: { type: 'integer' },
                verifiedAt: { type: 'string' },
                firstBreak: { type: 'object' },
              },
              ['tenantId', 'ok', 'eventsChecked', 'verifiedAt'],
            ),
            meta: { type: 'object' },
          }),
        ),
        ...authed,
      },
    },
  },
  '/api/v1/reports/compliance': {
    get: {
      operationId: 'complianceReport',
      tags: ['reports'],
      summary: "One client's compliance with one framework, now or as of asOf, as JSON or a paginated PDF",
      description:
        'The score and progress of the latest assessment (recomputed at the moment, over its pinned catalog version and the evidence freshness then), results per assessed requirement with linked evidence and its freshness, policies in force, violations over the 30 days before, the score over time (a chart in the PDF), and the hash-chain verification of the tenant, run when the report is made.',
      security: bearer,
      parameters: [
        { name: 'clientId', in: 'query', required: true, schema: uuid },
        { name: 'frameworkId', in: 'query', required: true, schema: { enum: FRAMEWORK_IDS } },
        asOf,
        q('format', { enum: ['json', 'pdf'], default: 'json' }),
        minPosition,
      ],
      responses: {
        '200': {
          description: 'The report',
          content: {
            'application/json': {
              schema: object({
                data: {
                  type: 'object',
                  required: [
                    'client',
                    'framework',
                    'asOf',
                    'assessment',
                    'requirements',
                    'policies',
                    'violations',
                    'scoreHistory',
                    'verification',
                  ],
                },
                meta: { type: 'object' },
              }),
            },
            'application/pdf': { schema: { type: 'string', format: 'binary' } },
          },
        },
        '404': problem('No such client (at that moment)'),
        ...stale,
        ...authed,
      },
    },
  },
  '/api/v1/history/diff': {
    get: {
      operationId: 'historyDiff',
      tags: ['history'],
      summary:
        'What changed between two moments: requirement results, evidence added or expired, policy versions and statuses, violations recorded in between',
      security: bearer,
      parameters: [
        q('from', { type: 'string' }, 'an ISO 8601 time or a log position', true),
        q('to', { type: 'string' }, 'an ISO 8601 time or a log position, not before from', true),
        q('clientId', uuid),
      ],
      responses: {
        '200': json(
          'The changes (each list capped at 500 items; truncated says so)',
          object({
            data: object({
              from: object({ asOf: { type: 'string' }, position: nullableString }),
              to: object({ asOf: { type: 'string' }, position: nullableString }),
              requirements: {
                type: 'array',
                items: object({
                  assessmentId: { type: 'string' },
                  clientId: { type: 'string' },
                  frameworkId: { type: 'string' },
                  assessment: { type: 'string' },
                  requirementId: { type: 'string' },
                  from: nullableString,
                  to: { type: 'string' },
                }),
              },
              evidence: object({
                added: { type: 'array', items: { type: 'object' } },
                expired: { type: 'array', items: { type: 'object' } },
              }),
              policies: {
                type: 'array',
                items: object({
                  policyId: { type: 'string' },
                  clientId: { type: 'string' },
                  frameworkId: { type: 'string' },
                  title: { type: 'string' },
                  fromVersion: { type: ['integer', 'null'] },
                  toVersion: { type: 'integer' },
                  fromStatus: nullableString,
                  toStatus: { type: 'string' },
                }),
              },
              violations: object({
                total: { type: 'integer' },
                bySeverity: { type: 'object' },
                items: { type: 'array', items: { type: 'object' } },
              }),
              truncated: { type: 'boolean' },
            }),
            meta: { type: 'object' },
          }),
        ),
        ...authed,
      },
    },
  },
  '/api/v1/webhooks': {
    get: {
      operationId: 'listWebhooks',
      tags: ['webhooks'],
      summary: "The tenant's webhooks (without their secrets)",
      security: bearer,
      responses: {
        '200': {
          description: 'Webhooks',
          content: {
            'application/json': {
              schema: list({
                type: 'object',
                required: ['webhookId', 'url', 'events', 'clientId'],
                properties: {
                  webhookId: uuid,
                  url: { type: 'string' },
                  events: { type: 'array', items: { type: 'string' } },
                  clientId: { type: ['string', 'null'] },
                },
              }),
            },
          },
        },
        ...authed,
      },
    },
  },
  '/api/v1/webhooks/{id}/deliveries': {
    get: {
      operationId: 'listWebhookDeliveries',
      tags: ['webhooks'],
      summary: 'Deliveries to one webhook, newest first, with every attempt',
      security: bearer,
      parameters: [
        { name: 'id', in: 'path', required: true, schema: uuid },
        { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1 } },
        { name: 'size', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
      ],
      responses: {
        '200': {
          description: 'Deliveries',
          content: {
            'application/json': {
              schema: list({
                type: 'object',
                required: ['eventId', 'status', 'attempts', 'lastError', 'createdAt', 'deliveredAt'],
                properties: {
                  eventId: uuid,
                  status: { enum: ['pending', 'delivered', 'dead'] },
                  attempts: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['attempt', 'at', 'outcome'],
                      properties: {
                        attempt: { type: 'integer' },
                        at: { type: 'string' },
                        outcome: { enum: ['delivered', 'failed', 'dead'] },
                        statusCode: { type: ['integer', 'null'] },
                        error: { type: ['string', 'null'] },
                        durationMs: { type: 'integer' },
                      },
                    },
                  },
                  lastError: { type: ['string', 'null'] },
                  createdAt: { type: 'string', format: 'date-time' },
                  deliveredAt: { type: ['string', 'null'] },
                },
              }),
            },
          },
        },
        '404': problem('No such webhook'),
        ...authed,
      },
    },
  },
  '/api/v1/frameworks': {
    get: {
      operationId: 'listFrameworks',
      tags: ['frameworks'],
      summary: 'The compliance frameworks, with their catalog versions',
      security: bearer,
      responses: {
        '200': {
          description: 'Frameworks',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['data', 'meta'],
                properties: { data: { type: 'array', items: summary }, meta: { type: 'object' } },
              },
            },
          },
        },
        ...authed,
      },
    },
  },
  '/api/v1/frameworks/{id}': {
    get: {
      operationId: 'getFramework',
      tags: ['frameworks'],
      summary: "A framework's requirements as a tree of ids and titles",
      security: bearer,
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        '200': {
          description: 'The catalog',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['data', 'meta'],
                properties: {
                  data: {
                    allOf: [
                      summary,
                      {
                        type: 'object',
                        required: ['requirements'],
                        properties: {
                          requirements: { type: 'array', items: { $ref: '#/components/schemas/CatalogNode' } },
                        },
                      },
                    ],
                  },
                  meta: { type: 'object' },
                },
              },
            },
          },
        },
        '404': problem('No such framework'),
        ...authed,
      },
    },
  },
};
