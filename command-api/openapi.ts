import { FRAMEWORK_IDS } from '../domain/frameworks/catalog.js';
import { RESULTS } from '../domain/assessments/scoring.js';

/** The write side's part of the OpenAPI document. Request bodies reject unknown fields. */
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});
const json = (schema: unknown) => ({ required: true, content: { 'application/json': { schema } } });
const envelope = (data: unknown) => ({
  type: 'object',
  required: ['data', 'meta'],
  properties: {
    data,
    meta: {
      type: 'object',
      properties: {
        position: { type: ['string', 'null'] },
        withheld: {
          type: 'array',
          items: { type: 'string' },
          description: 'In an Idempotency-Key replay: fields of the first answer that are never stored (secrets)',
        },
        withheldReason: { type: 'string' },
      },
    },
  },
});
const ok = (description: string, data: unknown) => ({
  description,
  content: { 'application/json': { schema: envelope(data) } },
});
const object = (properties: Record<string, unknown>, required: string[] = Object.keys(properties)) => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
});

const uuid = { type: 'string', format: 'uuid' };
const name = { type: 'string', minLength: 1, maxLength: 200 };
const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: { type: 'string', maxLength: 255 },
};
const ifMatch = {
  name: 'If-Match',
  in: 'header',
  required: false,
  schema: { type: 'string' },
  description: 'The ETag you read; a stale one is a 412.',
};
const common = {
  '400': problem('The request is malformed: the problem lists each field at fault'),
  '413': problem('The body is too large'),
  '422': problem('The command cannot be carried out, or the Idempotency-Key was used for another request'),
  '429': problem('Too many attempts; see Retry-After'),
  default: problem('Any other problem, as application/problem+json'),
};
const authed = {
  ...common,
  '401': problem('Missing, invalid or expired access token, or the session has ended'),
  '403': problem('Your role lacks the permission this route needs'),
  '404': problem('No such resource in your tenant'),
};
const bearer = [{ bearer: [] }];
const policyIdParam = { name: 'id', in: 'path', required: true, schema: uuid };
const policyAnswer = object({
  policyId: uuid,
  version: { type: 'integer' },
  status: { enum: ['draft', 'in_review', 'approved', 'published', 'retired'] },
});

/** An AI service as the registry describes it: the command side's and the query side's listings both show it. */
export const aiServiceProfile = {
  aiServiceId: uuid,
  name: { type: 'string' },
  vendor: { type: 'string' },
  models: { type: 'array', items: { type: 'string' } },
  baaSigned: { type: 'boolean' },
  dpaSigned: { type: 'boolean' },
  dataRetentionDays: { type: 'integer' },
};

export const commandApiPaths: Record<string, unknown> = {
  '/api/v1/policies/generate': {
    post: {
      operationId: 'generatePolicy',
      tags: ['policies'],
      summary: 'Generate a policy for a client from a framework and the company context (a first draft, version 1)',
      security: bearer,
      parameters: [idempotencyKey],
      requestBody: json(
        object({
          clientId: uuid,
          frameworkId: { enum: FRAMEWORK_IDS },
          companyContext: object({
            name,
            industry: { type: 'string', minLength: 1, maxLength: 100 },
            size: { type: 'string', minLength: 1, maxLength: 20 },
            dataTypes: { type: 'array', maxItems: 30, items: { type: 'string', minLength: 1, maxLength: 50 } },
            aiTools: { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 100 } },
            jurisdictions: { type: 'array', maxItems: 30, items: { type: 'string', minLength: 2, maxLength: 10 } },
          }),
        }),
      ),
      responses: { '201': ok('Generated', policyAnswer), ...authed },
    },
  },
  '/api/v1/policies/{id}': {
    put: {
      operationId: 'editPolicy',
      tags: ['policies'],
      summary: 'Edit a policy: a new draft version, which needs approval before it is published',
      security: bearer,
      parameters: [policyIdParam, ifMatch],
      requestBody: json(object({ content: { type: 'string', minLength: 1, maxLength: 200_000 } })),
      responses: {
        '200': ok('Edited', policyAnswer),
        '409': problem('Changed concurrently'),
        '410': problem('Retired'),
        '412': problem('Stale If-Match'),
        ...authed,
      },
    },
    delete: {
      operationId: 'retirePolicy',
      tags: ['policies'],
      summary: 'Retire a policy; its history stays',
      security: bearer,
      parameters: [policyIdParam, ifMatch],
      responses: { '200': ok('Retired', policyAnswer), '410': problem('Already retired'), ...authed },
    },
  },
  ...Object.fromEntries(
    (['submit', 'approve', 'publish'] as const).map((action) => [
      `/api/v1/policies/{id}/${action}`,
      {
        post: {
          operationId: `${action}Policy`,
          tags: ['policies'],
          summary: {
            submit: 'Submit the current draft for approval',
            approve: 'Approve the submitted version (not your own draft); records the hash of the exact content',
            publish: 'Publish the approved version',
          }[action],
          security: bearer,
          parameters: [policyIdParam, idempotencyKey, ifMatch],
          requestBody: {
            required: false,
            content: { 'application/json': { schema: object({ comment: { type: 'string', maxLength: 2000 } }, []) } },
          },
          responses: {
            '200': ok('Done', policyAnswer),
            '409': problem('Not allowed in the current status'),
            '410': problem('Retired'),
            '412': problem('Stale If-Match'),
            ...authed,
          },
        },
      },
    ]),
  ),
  '/api/v1/policies/{id}/export': {
    post: {
      operationId: 'exportPolicy',
      tags: ['policies'],
      summary: 'Download a version of the policy as Markdown or PDF',
      security: bearer,
      parameters: [policyIdParam],
      requestBody: json(
        object({ format: { enum: ['pdf', 'markdown'] }, version: { type: 'integer', minimum: 1 } }, ['format']),
      ),
      responses: {
        '200': {
          description: 'The file; X-Content-SHA256 is the hash of the Markdown content of that version',
          content: {
            'application/pdf': { schema: { type: 'string', format: 'binary' } },
            'text/markdown': { schema: { type: 'string' } },
          },
        },
        ...authed,
      },
    },
  },
  '/api/v1/assessments': {
    post: {
      operationId: 'startAssessment',
      tags: ['assessments'],
      summary: "Start an assessment of a client against a framework; pins the framework's catalog version",
      security: bearer,
      parameters: [idempotencyKey],
      requestBody: json(object({ clientId: uuid, frameworkId: { enum: FRAMEWORK_IDS }, title: name })),
      responses: { '201': ok('Started', object({ assessmentId: uuid })), ...authed },
    },
  },
  '/api/v1/assessments/{id}/requirements/{requirementId}': {
    put: {
      operationId: 'assessRequirement',
      tags: ['assessments'],
      summary: "Record a requirement's result, an optional score on the framework's scale, a note and linked evidence",
      security: bearer,
      parameters: [
        { name: 'id', in: 'path', required: true, schema: uuid },
        { name: 'requirementId', in: 'path', required: true, schema: { type: 'string', maxLength: 64 } },
        ifMatch,
      ],
      requestBody: json(
        object(
          {
            result: { enum: RESULTS },
            score: { type: 'number' },
            note: { type: 'string', maxLength: 5000 },
            evidenceIds: { type: 'array', maxItems: 50, items: uuid },
          },
          ['result'],
        ),
      ),
      responses: {
        '200': ok('Recorded', object({ assessmentId: uuid })),
        '409': problem('The assessment was submitted'),
        '412': problem('Stale If-Match'),
        ...authed,
      },
    },
  },
  '/api/v1/assessments/{id}/submit': {
    put: {
      operationId: 'submitAssessment',
      tags: ['assessments'],
      summary: 'Freeze the assessment and compute its compliance score and progress',
      security: bearer,
      parameters: [{ name: 'id', in: 'path', required: true, schema: uuid }, ifMatch],
      requestBody: { required: false, content: { 'application/json': { schema: object({}, []) } } },
      responses: {
        '200': ok(
          'Submitted',
          object(
            {
              assessmentId: uuid,
              score: { type: ['number', 'null'] },
              progress: { type: 'number' },
              flagged: { type: 'array', items: { type: 'string' } },
            },
            ['assessmentId', 'score', 'progress'],
          ),
        ),
        '409': problem('Already submitted'),
        ...authed,
      },
    },
  },
};
