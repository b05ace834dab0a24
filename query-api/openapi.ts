import { FRAMEWORK_IDS } from '../domain/frameworks/index.js';

/** The read side's part of the OpenAPI document. */
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
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
    source: { type: 'object', properties: { title: { type: 'string' }, license: { type: 'string' }, origin: { type: 'string' } } },
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

export const queryApiPaths: Record<string, unknown> = {
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
              schema: { type: 'object', required: ['data', 'meta'], properties: { data: { type: 'array', items: summary }, meta: { type: 'object' } } },
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
                  data: { allOf: [summary, { type: 'object', required: ['requirements'], properties: { requirements: { type: 'array', items: { $ref: '#/components/schemas/CatalogNode' } } } }] },
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
