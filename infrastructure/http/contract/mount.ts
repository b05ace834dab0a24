import express, { type RequestHandler, type Response, type Router } from 'express';
import type { z } from 'zod';
import { authOf, requirePermission } from '../authentication.js';
import { idempotencyKeyForm } from '../idempotency.js';
import { HttpProblem, problemType, sendProblem } from '../problem.js';
import { strongETag, type StreamHead } from './etag.js';
import type { AnyOperation } from './operation.js';

/** '/clients/{id}' → '/clients/:id'. */
export const expressPath = (path: string): string => path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');

/**
 * Path, query and JSON body as their schemas parse them (coerced, defaults applied, refinements and transforms run),
 * in place of what Express parsed. The OpenAPI validator has checked the request against the JSON Schema of the same
 * schemas already, but a JSON Schema cannot say everything a schema does (a refinement, a transform): the schema
 * has the last word, and a request it refuses is a 400 naming the field.
 */
function parse(operation: AnyOperation): RequestHandler {
  return (req, _res, next) => {
    for (const [where, schema] of [
      ['params', operation.params],
      ['query', operation.query],
      ['body', operation.multipart ? undefined : operation.body],
    ] as const) {
      if (!schema) continue;
      const parsed = (schema as z.ZodType).safeParse(req[where]);
      if (!parsed.success) {
        const errors = parsed.error.issues.map((issue) => ({
          field: issue.path.join('.') || where,
          message: issue.message,
        }));
        return next(
          new HttpProblem(
            400,
            'validation',
            'The request is not valid',
            errors.map((e) => `${e.field}: ${e.message}`).join('; '),
            {
              errors,
            },
          ),
        );
      }
      replace(req, where, parsed.data as Record<string, unknown>);
    }
    next();
  };
}

/**
 * Puts the parsed values in place of req.params or req.query. Express 5 computes req.query in a getter, which the
 * OpenAPI validator may already have replaced by a fixed property: the values go wherever they can.
 */
function replace(req: object, where: 'params' | 'query' | 'body', value: Record<string, unknown>): void {
  if (where === 'body') {
    (req as { body: unknown }).body = value;
    return;
  }
  const descriptor = Object.getOwnPropertyDescriptor(req, where);
  if (!descriptor || descriptor.configurable) {
    Object.defineProperty(req, where, { value, writable: true, configurable: true, enumerable: true });
  } else if (descriptor.writable) {
    (req as Record<string, unknown>)[where] = value;
  } else {
    const target = (req as Record<string, Record<string, unknown>>)[where]!;
    for (const key of Object.keys(target)) delete target[key];
    Object.assign(target, value);
  }
}

/**
 * What goes out is what the operation declares: a JSON answer passes through its schema, which drops any property the
 * document does not name (a column a mapper let through never leaves), and an answer its schema refuses is a 500
 * instead of data the contract does not promise. Problems and files go out as they are.
 */
function holdToContract(operation: AnyOperation, res: Response): void {
  const send = res.json.bind(res);
  res.json = (body: unknown) => {
    const schema = res.statusCode < 400 ? operation.answers[res.statusCode]?.schema : undefined;
    if (!schema) return send(body);
    const parsed = schema.safeParse(body);
    if (parsed.success) return send(parsed.data);
    const error = new Error(
      `${operation.operationId} answered ${res.statusCode} outside its schema: ${parsed.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
        .join('; ')}`,
    );
    ((res.req as { log?: { error(object: unknown, message: string): void } }).log ?? console).error(
      { err: error },
      'answer outside the contract',
    );
    res.json = send;
    sendProblem(res, {
      type: problemType('internal'),
      title: 'Internal server error',
      status: 500,
      detail: 'The request could not be completed. It has been logged with its correlation id.',
    });
    return res;
  };
}

/** One Express route per operation: authentication and permission as declared, parsing, then the handler. */
export function mountOperations(
  operations: readonly AnyOperation[],
  options: {
    authenticate: RequestHandler;
    /** The Idempotency-Key middleware for an operation that takes the header (after authentication). */
    idempotency: (operation: AnyOperation) => RequestHandler;
    /** The head of a stream, for the ETag of operations that declare their resource's stream. */
    streamHead?: StreamHead;
  },
): Router {
  const router = express.Router();
  for (const operation of operations) {
    const { access } = operation;
    const guards: RequestHandler[] =
      access === 'public'
        ? []
        : access === 'signed-in'
          ? [options.authenticate]
          : [
              options.authenticate,
              typeof access.permission === 'string'
                ? requirePermission(access.permission)
                : requirePermission(...(access.permission as [never, ...never[]])),
            ];
    router[operation.method](
      expressPath(operation.path),
      ...guards,
      parse(operation),
      // A public operation's answer is never stored (it would be given back to whoever sends the key): the key's
      // form is checked, nothing more.
      ...(operation.headers?.includes('Idempotency-Key')
        ? [access === 'public' ? idempotencyKeyForm : options.idempotency(operation)]
        : []),
      ...(operation.etag && operation.method === 'get' && options.streamHead
        ? [strongETag((req, res) => operation.etag!(req.params, authOf(res).tenantId), options.streamHead)]
        : []),
      ...(operation.before ?? []),
      (req, res) => {
        holdToContract(operation, res);
        return operation.handler(req as never, res);
      },
    );
  }
  return router;
}
