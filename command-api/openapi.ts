import { ROLES } from '../domain/accounts/roles.js';
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
const email = { type: 'string', format: 'email', maxLength: 254 };
const password = { type: 'string', minLength: 12, maxLength: 256, description: 'At least 12 characters.' };
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
const tokens = {
  type: 'object',
  required: ['accessToken', 'refreshToken', 'expiresIn', 'tokenType'],
  properties: {
    accessToken: { type: 'string' },
    refreshToken: { type: 'string' },
    expiresIn: { type: 'integer' },
    tokenType: { const: 'Bearer' },
  },
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

export const commandApiPaths: Record<string, unknown> = {
  '/api/v1/auth/register': {
    post: {
      operationId: 'register',
      tags: ['auth'],
      summary: 'Create an MSP organisation and its first administrator; sends a verification email',
      parameters: [idempotencyKey],
      requestBody: json(object({ email, password, name, organizationName: name })),
      responses: {
        '201': ok('Registered; verify the email before logging in', object({ userId: uuid, tenantId: uuid })),
        '409': problem('An account with this email exists'),
        ...common,
      },
    },
  },
  '/api/v1/auth/verify-email': {
    post: {
      operationId: 'verifyEmail',
      tags: ['auth'],
      summary: 'Confirm an email address with the token from the verification mail',
      parameters: [idempotencyKey],
      requestBody: json(object({ token: { type: 'string', minLength: 1, maxLength: 512 } })),
      responses: {
        '204': { description: 'Verified' },
        '410': problem('The link has expired'),
        ...common,
        '422': problem('The link is not valid'),
      },
    },
  },
  '/api/v1/auth/login': {
    post: {
      operationId: 'login',
      tags: ['auth'],
      summary: 'Exchange email and password for an access token (15 minutes) and a refresh token',
      parameters: [idempotencyKey],
      requestBody: json(object({ email, password: { type: 'string', minLength: 1, maxLength: 256 } })),
      responses: {
        '200': ok('Logged in', tokens),
        '401': problem('Wrong email or password'),
        '403': problem('The email address is not verified yet'),
        ...common,
      },
    },
  },
  '/api/v1/auth/refresh': {
    post: {
      operationId: 'refresh',
      tags: ['auth'],
      summary: 'Rotate a refresh token; reusing an old one ends the whole session',
      parameters: [idempotencyKey],
      requestBody: json(object({ refreshToken: { type: 'string', minLength: 1, maxLength: 512 } })),
      responses: {
        '200': ok('New tokens', tokens),
        '401': problem('Unknown, expired or reused refresh token'),
        ...common,
      },
    },
  },
  '/api/v1/auth/logout': {
    post: {
      operationId: 'logout',
      tags: ['auth'],
      summary: 'End the session: its refresh and access tokens stop working at once',
      parameters: [idempotencyKey],
      requestBody: json(object({ refreshToken: { type: 'string', minLength: 1, maxLength: 512 } })),
      responses: { '204': { description: 'Logged out' }, ...common },
    },
  },
  '/api/v1/auth/reset-password/request': {
    post: {
      operationId: 'requestPasswordReset',
      tags: ['auth'],
      summary: 'Mail a one-hour reset link; the answer is the same whether or not the address has an account',
      parameters: [idempotencyKey],
      requestBody: json(object({ email })),
      responses: { '202': { description: 'If the address has an account, a link is on its way' }, ...common },
    },
  },
  '/api/v1/auth/reset-password': {
    post: {
      operationId: 'resetPassword',
      tags: ['auth'],
      summary: 'Set a new password with the token from the reset mail; ends every session of the account',
      parameters: [idempotencyKey],
      requestBody: json(object({ token: { type: 'string', minLength: 1, maxLength: 512 }, password })),
      responses: {
        '204': { description: 'Password changed' },
        '410': problem('The link has expired'),
        ...common,
        '422': problem('The link is not valid or was used'),
      },
    },
  },
  '/api/v1/auth/me': {
    get: {
      operationId: 'me',
      tags: ['auth'],
      summary: 'Who you are and what you may do',
      security: bearer,
      responses: {
        '200': ok(
          'The caller',
          object(
            {
              userId: uuid,
              email: { type: 'string' },
              name: { type: 'string' },
              role: { enum: ROLES },
              tenantId: uuid,
              clientId: { type: ['string', 'null'] },
              permissions: { type: 'array', items: { type: 'string' } },
              emailVerified: { type: 'boolean' },
            },
            ['userId', 'email', 'name', 'role', 'tenantId', 'permissions', 'emailVerified'],
          ),
        ),
        ...authed,
      },
    },
  },
  '/api/v1/users/invite': {
    post: {
      operationId: 'inviteUser',
      tags: ['users'],
      summary: 'Invite a user with a role, scoped to the MSP or to one client; mails a 7-day link',
      security: bearer,
      parameters: [idempotencyKey],
      requestBody: json(object({ email, role: { enum: ROLES }, clientId: uuid }, ['email', 'role'])),
      responses: {
        '201': ok('Invited', object({ userId: uuid })),
        '409': problem('An account with this email exists'),
        ...authed,
      },
    },
  },
  '/api/v1/users/accept-invite': {
    post: {
      operationId: 'acceptInvite',
      tags: ['users'],
      summary: 'Accept an invitation: choose a name and a password',
      parameters: [idempotencyKey],
      requestBody: json(object({ token: { type: 'string', minLength: 1, maxLength: 512 }, name, password })),
      responses: {
        '200': ok('Accepted; log in', object({ userId: uuid })),
        '410': problem('The invitation has expired'),
        ...common,
        '422': problem('The invitation is not valid'),
      },
    },
  },
  '/api/v1/users/{id}/role': {
    put: {
      operationId: 'changeUserRole',
      tags: ['users'],
      summary: "Change a user's role (and client scope); their sessions end so the new role applies at once",
      security: bearer,
      parameters: [{ name: 'id', in: 'path', required: true, schema: uuid }, ifMatch],
      requestBody: json(object({ role: { enum: ROLES }, clientId: uuid }, ['role'])),
      responses: {
        '200': ok('Changed', object({ userId: uuid, role: { enum: ROLES } })),
        '412': problem('Stale If-Match'),
        ...authed,
      },
    },
  },
  '/api/v1/users/{id}': {
    delete: {
      operationId: 'deactivateUser',
      tags: ['users'],
      summary: 'Deactivate a user: they can no longer log in, and their sessions end',
      security: bearer,
      parameters: [{ name: 'id', in: 'path', required: true, schema: uuid }, ifMatch],
      responses: {
        '200': ok('Deactivated', object({ userId: uuid, status: { const: 'deactivated' } })),
        '412': problem('Stale If-Match'),
        ...authed,
      },
    },
  },
  '/api/v1/users/{id}/erase': {
    post: {
      operationId: 'eraseUser',
      tags: ['users'],
      summary: 'Erase a data subject: their key is destroyed, and their personal data reads back as erased everywhere',
      security: bearer,
      parameters: [{ name: 'id', in: 'path', required: true, schema: uuid }, idempotencyKey],
      responses: { '200': ok('Erased', object({ userId: uuid, status: { const: 'erased' } })), ...authed },
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
};
