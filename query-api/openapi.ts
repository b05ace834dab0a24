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
  q('page', { type: 'integer', minimum: 1, default: 1 }),
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
const stale = { '503': problem('The read model has not reached X-Min-Position in time; see Retry-After') };

export const queryApiPaths: Record<string, unknown> = {
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
};
