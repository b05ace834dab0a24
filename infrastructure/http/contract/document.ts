import { z } from 'zod';
import type { AnyOperation, RequestHeader } from './operation.js';

const COMPONENTS = '#/components/schemas/';
const SAFE_INTEGER = Number.MAX_SAFE_INTEGER;

/**
 * JSON Schema of a zod schema as OpenAPI 3.1 holds it. Strings with a format keep the format alone (the regular
 * expression zod adds is stricter than what clients are told), integers lose zod's default safe-integer bounds, and
 * shared schemas become references to the document's components.
 */
export function jsonSchemaOf(schema: z.ZodType, defs: Record<string, unknown>): Record<string, unknown> {
  const converted = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    override: ({ jsonSchema }) => {
      const json = jsonSchema as Record<string, unknown>;
      if (json.format && json.pattern) delete json.pattern;
      if (json.minimum === -SAFE_INTEGER) delete json.minimum;
      if (json.maximum === SAFE_INTEGER) delete json.maximum;
    },
  }) as Record<string, unknown>;
  const { $schema: _schema, $defs, ...rest } = converted;
  for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, unknown>)) defs[id] = pointAtComponents(def);
  return pointAtComponents(rest) as Record<string, unknown>;
}

function pointAtComponents(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pointAtComponents);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) =>
      key === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')
        ? [key, `${COMPONENTS}${v.slice('#/$defs/'.length)}`]
        : [key, pointAtComponents(v)],
    ),
  );
}

const HEADERS: Record<RequestHeader, Record<string, unknown>> = {
  'Idempotency-Key': {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    schema: { type: 'string', maxLength: 255 },
    description: 'Retries with the same key replay the first answer and change nothing',
  },
  'If-Match': {
    name: 'If-Match',
    in: 'header',
    required: false,
    schema: { type: 'string' },
    description:
      'The ETag header exactly as the resource\'s GET or the last command on it answered it, such as "3" (quotes included; a weak W/ tag never matches), or *. A stale one is a 412 whose currentETag (and ETag header) give the current one.',
  },
  'X-Min-Position': {
    name: 'X-Min-Position',
    in: 'header',
    required: false,
    schema: { type: 'string' },
    description:
      "A command's meta.position: the read waits until the read models have caught up with it (503 after QUERY_WAIT_MS)",
  },
};

/** The strong ETag a resource's GET and every command on it answer (contract/etag.ts). */
const ETAG_HEADER = {
  description:
    'The strong ETag of the resource, such as "3" (the number of events recorded for it): send it back as If-Match',
  schema: { type: 'string' },
};

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: `${COMPONENTS}Problem` } } },
});

/** The problem answers every operation may give, by who may call it and the headers it reads. */
function problemAnswers(operation: AnyOperation): Record<string, unknown> {
  const answers: Record<string, unknown> = { '400': problem('The request is malformed or fails validation') };
  if (operation.access !== 'public') answers['401'] = problem('Missing, invalid or expired access token');
  if (typeof operation.access === 'object') answers['403'] = problem('Your role lacks the permission this route needs');
  // What the request headers it reads may bring about.
  if (operation.headers?.includes('If-Match'))
    answers['412'] = {
      ...problem('If-Match does not match the current ETag, which the problem names in currentETag'),
      headers: { ETag: ETAG_HEADER },
    };
  if (operation.headers?.includes('X-Min-Position'))
    answers['503'] = problem('The read model has not reached X-Min-Position in time; see Retry-After');
  answers.default = problem('Any other problem');
  return answers;
}

function parameters(operation: AnyOperation, defs: Record<string, unknown>): unknown[] {
  const list: unknown[] = [];
  for (const [where, shape] of [
    ['path', operation.params],
    ['query', operation.query],
  ] as const) {
    if (!shape) continue;
    for (const [name, schema] of Object.entries((shape as z.ZodObject).shape) as Array<[string, z.ZodType]>) {
      const json = jsonSchemaOf(schema, defs);
      const { description, ...rest } = json;
      list.push({
        name,
        in: where,
        required: where === 'path' || !schema.safeParse(undefined).success,
        // Times and lists may be sent as people type them ("2024-05-01T09:00:00Z", "a,b"): only + and & need encoding.
        ...(where === 'query' ? { allowReserved: true } : {}),
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  }
  for (const header of operation.headers ?? []) list.push(HEADERS[header]);
  return list;
}

/** The paths and shared schemas of the OpenAPI document, from the operations. */
export function documentOf(operations: readonly AnyOperation[], prefix = '/api/v1') {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {};
  for (const operation of operations) {
    const answers: Record<string, unknown> = {};
    for (const [status, answer] of Object.entries(operation.answers)) {
      const content: Record<string, unknown> = {};
      if (answer.problem) content['application/problem+json'] = { schema: { $ref: `${COMPONENTS}Problem` } };
      if (answer.schema) content['application/json'] = { schema: jsonSchemaOf(answer.schema, schemas) };
      for (const [type, schema] of Object.entries(answer.files ?? {})) {
        content[type] = { schema: schema ? jsonSchemaOf(schema, schemas) : { type: 'string', format: 'binary' } };
      }
      // A resource's GET, and commands that take If-Match, answer its ETag.
      const tagged =
        (Number(status) < 300 && operation.etag !== undefined) ||
        ((Number(status) < 300 || status === '412') && operation.headers?.includes('If-Match'));
      const headers = {
        ...(tagged ? { ETag: ETAG_HEADER } : {}),
        ...Object.fromEntries(
          Object.entries(answer.headers ?? {}).map(([name, header]) => [
            name,
            {
              description: header.description,
              schema: header.schema ? jsonSchemaOf(header.schema, schemas) : { type: 'string' },
            },
          ]),
        ),
      };
      answers[status] = {
        description: answer.description,
        ...(Object.keys(content).length > 0 ? { content } : {}),
        ...(Object.keys(headers).length > 0 ? { headers } : {}),
      };
    }
    const body = operation.body
      ? {
          requestBody: {
            // An optional body (`.optional()`): the request may come without one.
            required: !operation.body.safeParse(undefined).success,
            content: {
              [operation.multipart ? 'multipart/form-data' : 'application/json']: {
                schema: jsonSchemaOf(operation.body, schemas),
              },
            },
          },
        }
      : {};
    const item = (paths[`${prefix}${operation.path}`] ??= {});
    item[operation.method] = {
      operationId: operation.operationId,
      tags: [...operation.tags],
      summary: operation.summary,
      ...(operation.description ? { description: operation.description } : {}),
      security: operation.access === 'public' ? [] : [{ bearer: [] }],
      parameters: parameters(operation, schemas),
      ...body,
      responses: { ...problemAnswers(operation), ...answers },
    };
  }
  return { paths, schemas };
}
