/**
 * The OpenAPI 3.1 document: the one description of every route, served at /openapi.json and rendered at /docs.
 * Each API adds its paths, and the operational routes theirs (infrastructure/http/operations.ts); the shared
 * components live here.
 */
export type OpenApiDocument = {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string; license: { name: string; identifier: string } };
  servers: Array<{ url: string }>;
  paths: Record<string, unknown>;
  components: {
    schemas: Record<string, unknown>;
    securitySchemes: Record<string, unknown>;
  };
};

export function openApiDocument(options: {
  version: string;
  serverUrl: string;
  paths?: Record<string, unknown>;
  schemas?: Record<string, unknown>;
}): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Compliance Ledger API',
      version: options.version,
      description:
        'Event-sourced ledger for AI compliance. Commands append immutable events; queries read projections of the event log. ' +
        'Successful answers use the envelope `{ data, meta }`; errors are RFC 9457 problem details.',
      license: { name: 'Apache 2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: options.serverUrl }],
    paths: options.paths ?? {},
    components: {
      schemas: {
        ...options.schemas,
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail'],
          properties: {
            type: { type: 'string', format: 'uri' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                required: ['field', 'message'],
                properties: { field: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
      },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
