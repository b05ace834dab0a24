import express, { type RequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { explainValidation } from './contract/explain.js';
import type { OpenApiDocument } from './openapi.js';

/**
 * Requests with a body up to this size are told every error (then capped to the first 20 in the answer, see
 * problem.ts); larger ones only the first. The cost of listing every error grows with their number, and a body can
 * hold about one error per byte: 256 kB of empty array items ([{},{},…]) is 255,000 errors, about 140 ms to collect
 * and convert, against 5 ms to find the first. At 16 kB the worst case is about 4 ms, an ordinary command's time.
 */
export const LIST_EVERY_ERROR_MAX_BYTES = 16 * 1024;

/** The OpenAPI validation of requests (and of responses, when asked), as one middleware. */
export function requestValidation(document: OpenApiDocument, options: { validateResponses: boolean }): RequestHandler {
  const validator = (allErrors: boolean) =>
    express.Router().use(
      OpenApiValidator.middleware({
        // Each validator prepares the document it is given: each gets its own copy.
        apiSpec: structuredClone(document) as unknown as string,
        validateRequests: { allowUnknownQueryParameters: false, allErrors },
        validateResponses: options.validateResponses,
        validateSecurity: false, // authentication and permissions are checked by each route
        ignoreUndocumented: true,
        fileUploader: false, // evidence uploads are streamed by their route, never buffered
      }),
    );
  const explain = explainValidation(
    ((document as { components?: { schemas?: Record<string, Record<string, unknown>> } }).components?.schemas ??
      {}) as Record<string, Record<string, unknown>>,
  );
  const everyError = validator(true);
  const firstError = validator(false);
  return (req, res, next) => {
    const length = req.headers['content-length'];
    // No Content-Length and no Transfer-Encoding: no body, only the query and path, which the header limit bounds.
    const small =
      length === undefined
        ? req.headers['transfer-encoding'] === undefined
        : Number(length) <= LIST_EVERY_ERROR_MAX_BYTES;
    (small ? everyError : firstError)(req, res, (error?: unknown) =>
      error === undefined || error === 'route' || error === 'router' ? next(error) : next(explain(error, req)),
    );
  };
}
