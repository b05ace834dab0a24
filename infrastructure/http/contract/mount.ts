import express, { type RequestHandler, type Router } from 'express';
import type { z } from 'zod';
import { requirePermission } from '../authentication.js';
import { HttpProblem } from '../problem.js';
import type { AnyOperation } from './operation.js';

/** '/clients/{id}' → '/clients/:id'. */
export const expressPath = (path: string): string => path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');

/**
 * Path and query as their schemas parse them (coerced, defaults applied), in place of Express's strings. The
 * OpenAPI validator has checked the request against the same schemas already; a disagreement is still a 400.
 */
function parse(operation: AnyOperation): RequestHandler {
  return (req, _res, next) => {
    for (const [where, schema] of [
      ['params', operation.params],
      ['query', operation.query],
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
      // Express 5 computes req.query on each read: the parsed value replaces the getter for this request.
      Object.defineProperty(req, where, { value: parsed.data, writable: true, configurable: true, enumerable: true });
    }
    next();
  };
}

/** One Express route per operation: authentication and permission as declared, parsing, then the handler. */
export function mountOperations(
  operations: readonly AnyOperation[],
  options: { authenticate: RequestHandler },
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
      ...(operation.before ?? []),
      (req, res) => operation.handler(req as never, res),
    );
  }
  return router;
}
