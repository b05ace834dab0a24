import type { Request, RequestHandler } from 'express';
import { HttpProblem } from '../problem.js';

/**
 * Errors that say what to send. The OpenAPI validator knows a field is wrong; the document knows what the field
 * takes. These read the operation the validator matched (`req.openapi`) and the document's schemas, and put in each
 * error the field's path and what it expects, the media types a route takes, and the methods a path has.
 */

type Schema = Record<string, unknown>;
interface Matched {
  openApiRoute?: string;
  schema?: { requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> } };
}

const matchedOf = (req: Request): Matched | undefined => (req as Request & { openapi?: Matched }).openapi;

/** The media types the matched operation's body takes, or none when it takes no body (or none matched). */
export function mediaTypesOf(req: Request): string[] {
  return Object.keys(matchedOf(req)?.schema?.requestBody?.content ?? {});
}

/** Resolves '#/components/schemas/X' in the document. */
function resolve(schema: Schema | undefined, components: Record<string, Schema>, depth = 0): Schema | undefined {
  if (!schema || depth > 20) return schema;
  const ref = schema.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/'))
    return resolve(components[ref.slice('#/components/schemas/'.length)], components, depth + 1);
  return schema;
}

/** The schema at a body path ('items.0.entity'), or undefined. */
function schemaAt(root: Schema | undefined, path: string[], components: Record<string, Schema>): Schema | undefined {
  let schema = resolve(root, components);
  for (const part of path) {
    if (!schema) return undefined;
    const options = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
    if (options)
      schema = resolve(
        options.find((o) => resolve(o, components)?.type !== 'null'),
        components,
      );
    if (!schema) return undefined;
    if (/^\d+$/.test(part) && schema.items) schema = resolve(schema.items as Schema, components);
    else schema = resolve((schema.properties as Record<string, Schema> | undefined)?.[part], components);
  }
  return schema;
}

/** What a schema takes, in a few words: "a string (uuid)", "one of low, high", "an array of strings"… */
export function expected(schema: Schema | undefined, components: Record<string, Schema>, depth = 0): string {
  const s = resolve(schema, components);
  if (!s || depth > 3) return 'a value';
  const options = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (options)
    return [...new Set(options.map((o) => expected(o, components, depth + 1)))].join(' or ').replace('null or ', '');
  if (Array.isArray(s.enum)) return `one of ${s.enum.map(String).join(', ')}`;
  if (s.const !== undefined) return JSON.stringify(s.const);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  const describedBy = typeof s.description === 'string' && s.description.length <= 80 ? `: ${s.description}` : '';
  switch (type) {
    case 'string': {
      const format = typeof s.format === 'string' ? ` (${s.format})` : '';
      const length =
        s.maxLength !== undefined ? `, at most ${String(s.maxLength)} characters` : s.minLength ? ', not empty' : '';
      return `a string${format}${length}${describedBy}`;
    }
    case 'integer':
    case 'number': {
      const range =
        s.minimum !== undefined && s.maximum !== undefined
          ? ` from ${String(s.minimum)} to ${String(s.maximum)}`
          : s.minimum !== undefined
            ? ` of at least ${String(s.minimum)}`
            : s.maximum !== undefined
              ? ` of at most ${String(s.maximum)}`
              : '';
      return `${type === 'integer' ? 'an integer' : 'a number'}${range}${describedBy}`;
    }
    case 'boolean':
      return 'true or false';
    case 'array':
      return `an array, each ${expected(s.items as Schema, components, depth + 1)}`;
    case 'object': {
      const required = Array.isArray(s.required) ? (s.required as string[]) : [];
      return required.length > 0 ? `an object with ${required.join(', ')}` : 'an object';
    }
    default:
      return 'a value';
  }
}

interface ValidatorError {
  status: number;
  errors?: Array<{ path?: string; message: string; errorCode?: string }>;
  message: string;
}

const isValidatorError = (error: unknown): error is ValidatorError =>
  typeof error === 'object' && error !== null && typeof (error as ValidatorError).status === 'number';

/**
 * Rewrites the validator's errors of a request body so that each says what the field expects:
 * "must have required property 'size'" → "required: one of 1-10, 11-50, …"; "(body): must be object" → "expected a
 * JSON object with name, industry, size"; a missing body → what the body is to be.
 */
export function explainValidation(components: Record<string, Schema>) {
  return (error: unknown, req: Request): unknown => {
    if (!isValidatorError(error) || error.status !== 400 || !error.errors) return error;
    const content = matchedOf(req)?.schema?.requestBody?.content ?? {};
    const bodySchema = (content['application/json'] ?? Object.values(content)[0])?.schema;
    for (const item of error.errors) {
      const parts = (item.path ?? '').split('/').filter(Boolean);
      if (parts[0] !== 'body') continue;
      const at = parts.slice(1);
      const missing = /^must have required property '(.+)'$/.exec(item.message);
      const target = missing && (at[at.length - 1] === missing[1] ? at : [...at, missing[1]!]);
      if (missing && missing[1] === 'body' && target!.length === 1) {
        item.path = '/body';
        item.message = `required: a JSON body (Content-Type: application/json), ${expected(bodySchema, components)}`;
      } else if (missing) {
        item.path = `/${['body', ...target!].join('/')}`;
        item.message = `required: ${expected(schemaAt(bodySchema, target!, components), components)}`;
      } else if (/^must be (object|array|string|integer|number|boolean)/.test(item.message)) {
        const wanted = expected(schemaAt(bodySchema, at, components), components);
        item.message = at.length === 0 ? `expected a JSON body: ${wanted}` : `expected ${wanted}`;
      }
    }
    return error;
  };
}

/**
 * After every route: a path the API has, asked with a method it does not take, is a 405 naming the methods it takes
 * (`Allow`); assessment submission, for one, is a POST (a PUT before).
 */
export function methodNotAllowed(paths: Record<string, Record<string, unknown>>): RequestHandler {
  const routes = Object.entries(paths).map(([path, item]) => ({
    path,
    pattern: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^/}]+\}/g, '[^/]+')}/?$`),
    methods: Object.keys(item)
      .filter((m) => ['get', 'put', 'post', 'delete', 'patch'].includes(m))
      .map((m) => m.toUpperCase()),
  }));
  return (req, _res, next) => {
    const route = routes.find((r) => r.pattern.test(req.path));
    if (!route || route.methods.includes(req.method) || (req.method === 'HEAD' && route.methods.includes('GET')))
      return next();
    const allow = route.methods.join(', ');
    const problem = new HttpProblem(
      405,
      'method-not-allowed',
      'Method not allowed',
      `${req.method} is not a method of ${route.path}: it takes ${allow}.${
        route.methods.includes('POST') && ['PUT', 'PATCH'].includes(req.method)
          ? ' State changes such as this one are a POST.'
          : ''
      }`,
      { errors: [{ field: '(method)', message: `expected ${allow}` }] },
    );
    problem.headers = { Allow: allow };
    next(problem);
  };
}
