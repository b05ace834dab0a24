import type { Request, RequestHandler } from 'express';
import { UNSTORABLE_MESSAGE, unstorableFields } from '../storable-text.js';
import { invalidFields } from './problem.js';

/**
 * Refuses a request whose path parameters, query or JSON body hold text PostgreSQL cannot store, with a 400 naming
 * each field, before any handler can try to store or look it up (which was a 500 from the database). Mounted after
 * the OpenAPI validator, which names the path parameters. Multipart fields are checked where they are read.
 */
export const refuseUnstorableText: RequestHandler = (req, _res, next) => {
  const pathParams = (req as Request & { openapi?: { pathParams?: Record<string, unknown> } }).openapi?.pathParams;
  const fields = [...unstorableFields(pathParams ?? {}), ...unstorableFields(req.query), ...unstorableFields(req.body)];
  if (fields.length > 0) throw invalidFields(fields.map((field) => ({ field, message: UNSTORABLE_MESSAGE })));
  next();
};
