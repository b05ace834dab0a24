import { ACTIONS } from '../domain/ai-governance/client-ai-governance.js';
import { FRAMEWORK_IDS } from '../domain/frameworks/catalog.js';
import { RESULTS } from '../domain/assessments/scoring.js';
import { WEBHOOK_EVENTS } from '../domain/webhooks/webhook.js';

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
const clientIdParam = { name: 'id', in: 'path', required: true, schema: uuid };
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

const finding = object({
  entity: {
    type: 'string',
    description:
      "Presidio's entity names where Presidio has one (US_SSN, CREDIT_CARD, ...), or a custom pattern's entity",
  },
  start: { type: 'integer', minimum: 0, description: 'JavaScript string index of the first character' },
  end: { type: 'integer', minimum: 0, description: 'Index after the last character' },
  score: { type: 'number', minimum: 0, maximum: 1 },
  rule: { type: 'string', description: 'The recognizer that fired, such as credit-card.luhn' },
  action: { enum: ACTIONS, description: "What the client's policy does about this finding" },
});
const explainedRule = object({
  entity: { type: 'string' },
  minScore: { type: 'number' },
  action: { enum: ACTIONS },
  source: { type: 'string' },
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
  '/api/v1/webhooks': {
    post: {
      operationId: 'createWebhook',
      tags: ['webhooks'],
      summary: 'Subscribe a URL to violations; the answer carries the signing secret, shown this once',
      description:
        'Deliveries are POSTs of the CloudEvent (application/cloudevents+json) signed in the Standard Webhooks style: webhook-id, webhook-timestamp and webhook-signature ("v1,<base64 HMAC-SHA256 of id.timestamp.body>"). A URL whose host is or resolves to a private or loopback address is refused unless the operator allowlisted it (WEBHOOK_ALLOWED_HOSTS).',
      security: bearer,
      parameters: [idempotencyKey],
      requestBody: json(
        object(
          {
            url: { type: 'string', minLength: 8, maxLength: 2000 },
            events: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: WEBHOOK_EVENTS } },
            clientId: { ...uuid, description: "Only this client's violations; all of the MSP's when absent" },
          },
          ['url', 'events'],
        ),
      ),
      responses: {
        '201': ok(
          'Subscribed',
          object(
            {
              webhookId: uuid,
              secret: {
                type: 'string',
                description:
                  'whsec_…: keep it, it is not shown again. Absent from an Idempotency-Key replay (meta.withheld says so): it is never stored.',
              },
            },
            ['webhookId'],
          ),
        ),
        ...authed,
      },
    },
  },
  '/api/v1/webhooks/{id}': {
    delete: {
      operationId: 'deleteWebhook',
      tags: ['webhooks'],
      summary: 'Unsubscribe: no more deliveries, and the signing secret is destroyed',
      security: bearer,
      parameters: [{ name: 'id', in: 'path', required: true, schema: uuid }],
      responses: { '200': ok('Deleted', object({ webhookId: uuid, status: { const: 'deleted' } })), ...authed },
    },
  },
  '/api/v1/analyze/prompt': {
    post: {
      operationId: 'analyzePrompt',
      tags: ['prompt-analysis'],
      summary:
        "Check a prompt for PHI, personal data and secrets and apply the client's AI usage policy before it is sent",
      description:
        'Records the analysis (entity types, offsets, scores, the decision and a keyed hash of the prompt; never the prompt or the values found) and, when the decision is not allow or the service is not approved, a violation. The prompt may be at most PROMPT_MAX_CHARS characters (65,536 by default).',
      security: bearer,
      parameters: [idempotencyKey],
      requestBody: json(
        object(
          {
            clientId: uuid,
            aiServiceId: uuid,
            prompt: { type: 'string', minLength: 1 },
            userRef: {
              type: 'string',
              minLength: 1,
              maxLength: 200,
              description: 'Who is sending; only its keyed hash is recorded',
            },
            conversationId: { type: 'string', minLength: 1, maxLength: 200 },
            redaction: {
              enum: ['placeholder', 'mask'],
              description:
                'placeholder (default): <US_SSN_1>; mask: card and account numbers keep their last four digits',
            },
          },
          ['clientId', 'aiServiceId', 'prompt'],
        ),
      ),
      responses: {
        '201': ok(
          'Analysed and recorded',
          object({
            analysisId: uuid,
            decision: { enum: ACTIONS },
            findings: { type: 'array', items: finding },
            redactedPrompt: {
              type: 'string',
              description: 'The prompt with every finding the policy acted on replaced by a typed placeholder',
            },
            reasons: { type: 'array', items: { type: 'string' } },
          }),
        ),
        ...authed,
      },
    },
  },
  '/api/v1/analyze/ai-services': {
    get: {
      operationId: 'listUsableAiServices',
      tags: ['prompt-analysis'],
      summary: 'The AI services a client may use, with the rules that apply to prompts sent to each',
      security: bearer,
      parameters: [{ name: 'clientId', in: 'query', required: true, schema: uuid }],
      responses: {
        '200': {
          description: 'Approved services, by name',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['data', 'meta'],
                properties: {
                  data: {
                    type: 'array',
                    items: object({
                      ...aiServiceProfile,
                      approval: { const: 'approved' },
                      policy: object({
                        frameworks: { type: 'array', items: { enum: FRAMEWORK_IDS } },
                        rules: { type: 'array', items: explainedRule },
                      }),
                    }),
                  },
                  meta: object({ total: { type: 'integer' }, unapprovedService: { enum: ACTIONS } }),
                },
              },
            },
          },
        },
        ...authed,
      },
    },
  },
  '/api/v1/ai-services': {
    post: {
      operationId: 'registerAiService',
      tags: ['ai-governance'],
      summary: "Add an AI service to the MSP's registry",
      security: bearer,
      parameters: [idempotencyKey],
      requestBody: json(
        object({
          name,
          vendor: name,
          models: { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 100 } },
          baaSigned: { type: 'boolean' },
          dpaSigned: { type: 'boolean' },
          dataRetentionDays: { type: 'integer', minimum: 0, maximum: 36500 },
        }),
      ),
      responses: { '201': ok('Registered', object({ aiServiceId: uuid })), ...authed },
    },
  },
  ...Object.fromEntries(
    (['approve', 'revoke'] as const).map((decision) => [
      `/api/v1/clients/{id}/ai-services/{serviceId}/${decision}`,
      {
        post: {
          operationId: `${decision}AiService`,
          tags: ['ai-governance'],
          summary:
            decision === 'approve'
              ? 'Approve an AI service for a client'
              : "Revoke a client's approval of an AI service",
          security: bearer,
          parameters: [
            clientIdParam,
            { name: 'serviceId', in: 'path', required: true, schema: uuid },
            idempotencyKey,
            ifMatch,
          ],
          requestBody: json(object({ reason: { type: 'string', minLength: 1, maxLength: 1000 } })),
          responses: {
            '200': ok(
              'Recorded',
              object({ clientId: uuid, aiServiceId: uuid, status: { enum: ['approved', 'revoked'] } }),
            ),
            '410': problem('The client is archived'),
            '412': problem('Stale If-Match'),
            ...authed,
          },
        },
      },
    ]),
  ),
  '/api/v1/clients/{id}/ai-policy': {
    put: {
      operationId: 'setAiPolicy',
      tags: ['ai-governance'],
      summary: "Set a client's AI usage policy: what happens to each kind of sensitive data in a prompt",
      security: bearer,
      parameters: [clientIdParam, ifMatch],
      requestBody: json(
        object(
          {
            rules: {
              type: 'array',
              maxItems: 100,
              items: object({
                entity: { type: 'string', maxLength: 64 },
                minScore: { type: 'number', minimum: 0, maximum: 1 },
                action: { enum: ACTIONS },
              }),
            },
            unapprovedService: { enum: ACTIONS },
            customPatterns: {
              type: 'array',
              maxItems: 50,
              items: object({
                entity: { type: 'string', maxLength: 64 },
                pattern: { type: 'string', minLength: 1, maxLength: 500 },
                score: { type: 'number', minimum: 0, maximum: 1 },
              }),
            },
            regions: {
              type: 'array',
              maxItems: 20,
              items: { type: 'string', pattern: '^[A-Z]{2}$' },
              description: 'Regions for phone numbers written without a country code (default US)',
            },
          },
          ['rules', 'unapprovedService'],
        ),
      ),
      responses: {
        '200': ok('Set', object({ clientId: uuid })),
        '410': problem('The client is archived'),
        '412': problem('Stale If-Match'),
        ...authed,
      },
    },
  },
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
  '/api/v1/evidence/upload': {
    post: {
      operationId: 'uploadEvidence',
      tags: ['evidence'],
      summary:
        'Upload a file as evidence (streamed; PDF, PNG, JPEG, text, CSV, JSON, DOCX or XLSX, checked by content)',
      security: bearer,
      parameters: [idempotencyKey],
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': {
            // Every part is required. The route checks them itself while it streams the file, so the validator,
            // which does not parse multipart here, is not told to.
            schema: {
              type: 'object',
              description: 'All five parts are required; send the fields before the file.',
              properties: {
                file: { type: 'string', format: 'binary' },
                clientId: uuid,
                title: name,
                validFrom: { type: 'string', format: 'date-time' },
                expiresAt: { type: 'string', format: 'date-time' },
              },
            },
          },
        },
      },
      responses: {
        '201': ok(
          'Stored',
          object({
            evidenceId: uuid,
            sha256: { type: 'string' },
            size: { type: 'integer' },
            contentType: { type: 'string' },
          }),
        ),
        '415': problem('The file is not of an allowed type'),
        ...authed,
      },
    },
  },
  '/api/v1/evidence/{id}/map': {
    post: {
      operationId: 'mapEvidence',
      tags: ['evidence'],
      summary: 'Link evidence to requirement ids',
      security: bearer,
      parameters: [{ name: 'id', in: 'path', required: true, schema: uuid }, idempotencyKey, ifMatch],
      requestBody: json(
        object({
          requirementIds: {
            type: 'array',
            minItems: 1,
            maxItems: 200,
            items: { type: 'string', minLength: 1, maxLength: 64 },
          },
        }),
      ),
      responses: { '200': ok('Linked', object({ evidenceId: uuid })), '410': problem('Retired'), ...authed },
    },
  },
  '/api/v1/evidence/{id}': {
    delete: {
      operationId: 'retireEvidence',
      tags: ['evidence'],
      summary: 'Retire evidence: the record stays, and it no longer counts as valid',
      security: bearer,
      parameters: [{ name: 'id', in: 'path', required: true, schema: uuid }, ifMatch],
      responses: { '200': ok('Retired', object({ evidenceId: uuid, status: { const: 'retired' } })), ...authed },
    },
  },
  '/api/v1/evidence/{id}/content': {
    get: {
      operationId: 'downloadEvidence',
      tags: ['evidence'],
      summary: 'Download the evidence file',
      security: bearer,
      parameters: [{ name: 'id', in: 'path', required: true, schema: uuid }],
      responses: {
        '200': {
          description:
            "The file, as an attachment with the content type checked at upload (application/octet-stream for any other), X-Content-Type-Options: nosniff and Content-Security-Policy: default-src 'none'; sandbox",
          content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
        },
        ...authed,
      },
    },
  },
};
