import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from '../logging/logger.js';
import { DomainError, type DomainErrorCode } from '../../domain/decider.js';
import { WrongExpectedRevisionError } from '../event-store/types.js';
import { printableName } from '../storable-text.js';
import { mediaTypesOf } from './contract/explain.js';

const DOMAIN_STATUS: Record<DomainErrorCode, [status: number, slug: string, title: string]> = {
  invalid: [422, 'invalid-command', 'The request cannot be carried out'],
  conflict: [409, 'conflict', 'Conflict'],
  not_found: [404, 'not-found', 'Not found'],
  forbidden: [403, 'forbidden', 'Forbidden'],
  gone: [410, 'gone', 'Gone'],
  unauthenticated: [401, 'unauthenticated', 'Authentication required'],
};

/** express-openapi-validator's errors: a status and a list of { path: '/body/email', message }. */
interface ValidatorError {
  status: number;
  errors?: Array<{ path?: string; message: string }>;
  message: string;
}

function isValidatorError(error: unknown): error is ValidatorError {
  return (
    typeof error === 'object' &&
    error !== null &&
    Array.isArray((error as ValidatorError).errors) &&
    typeof (error as ValidatorError).status === 'number'
  );
}

/** '/body/companyContext/name' → 'companyContext.name'; '/headers/idempotency-key' → 'Idempotency-Key' stays readable. */
function fieldOf(path: string | undefined): string {
  if (!path) return '(request)';
  const parts = path.replace(/^\./, '/').split(/[/.]/).filter(Boolean);
  if (
    parts[0] === 'body' ||
    parts[0] === 'query' ||
    parts[0] === 'params' ||
    parts[0] === 'path' ||
    parts[0] === 'headers'
  )
    parts.shift();
  return parts.map(printableName).join('.') || '(body)';
}

/**
 * Errors as RFC 9457 problem details (application/problem+json). `type` is a stable URI per kind of problem that
 * clients can switch on; validation problems list the fields that failed.
 */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: Array<{ field: string; message: string }>;
  [extension: string]: unknown;
}

const TYPE_BASE = 'https://compliance-ledger.dev/problems/';

export function problemType(slug: string): string {
  return `${TYPE_BASE}${slug}`;
}

/** Throw from a handler to answer with a problem; anything else thrown is a 500 without details. */
export class HttpProblem extends Error {
  /** Response headers the problem comes with (the current ETag of a 412). */
  headers?: Record<string, string>;

  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    detail: string,
    readonly extensions: Partial<ProblemDetails> = {},
  ) {
    super(detail);
  }

  toJSON(): ProblemDetails {
    return {
      type: problemType(this.slug),
      title: this.title,
      status: this.status,
      detail: this.message,
      ...this.extensions,
    };
  }
}

/** A validation problem lists this many fields at most, and says how many more there are: its size stays bounded. */
export const MAX_LISTED_ERRORS = 20;

/** A 400 naming the fields at fault: the first MAX_LISTED_ERRORS of them, only those described. */
export function validationProblem<T>(
  errors: readonly T[],
  describe: (error: T) => { field: string; message: string },
): ProblemDetails {
  const listed = errors.slice(0, MAX_LISTED_ERRORS).map(describe);
  const more = errors.length - listed.length;
  return {
    type: problemType('validation'),
    title: 'The request is not valid',
    status: 400,
    detail: listed.map((e) => `${e.field}: ${e.message}`).join('; ') + (more > 0 ? `; and ${more} more errors` : ''),
    errors: listed,
  };
}

/** The same, to throw, for errors found by our own checks. */
export function invalidFields(errors: Array<{ field: string; message: string }>): HttpProblem {
  const { title, detail, errors: listed } = validationProblem(errors, (error) => error);
  return new HttpProblem(400, 'validation', title, detail, { errors: listed });
}

/**
 * The one answer for what the caller cannot see: missing, another tenant's, or another client's, all alike, so that
 * existence does not leak. `what` completes "No such …"; `field` names the input that pointed at it.
 */
export function notFound(what: string, field?: string): HttpProblem {
  return new HttpProblem(404, 'not-found', 'Not found', `No such ${what}.`, {
    ...(field ? { errors: [{ field, message: `no such ${what}` }] } : {}),
  });
}

export function sendProblem(res: Response, problem: ProblemDetails): void {
  res.locals.problem = problem; // for whoever records the outcome (command-api/http/refusals.ts)
  try {
    res.status(problem.status).type('application/problem+json').json(problem);
  } catch {
    // Only when the answer itself breaks the OpenAPI contract (response validation in tests): still answer in kind.
    if (!res.headersSent) res.status(problem.status).type('application/problem+json').end(JSON.stringify(problem));
  }
}

/** The last route: a path no operation has. */
export const noSuchRoute: RequestHandler = (req, res) => {
  sendProblem(res, {
    type: problemType('not-found'),
    title: 'Not found',
    status: 404,
    detail: `No route for ${req.method} ${req.path}`,
  });
};

/** The last middleware: turns every error into a problem, never a stack trace. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof HttpProblem) {
      for (const [name, value] of Object.entries(error.headers ?? {})) res.setHeader(name, value);
      return sendProblem(res, error.toJSON());
    }
    if (error instanceof DomainError) {
      const [status, slug, title] = DOMAIN_STATUS[error.code];
      return sendProblem(res, {
        type: problemType(slug),
        title,
        status,
        detail: error.message,
        ...(error.field ? { errors: [{ field: error.field, message: error.message }] } : {}),
      });
    }
    if (isValidatorError(error) && error.status === 400) {
      return sendProblem(
        res,
        validationProblem(error.errors ?? [], (e) => ({ field: fieldOf(e.path), message: e.message })),
      );
    }
    if (isValidatorError(error) && error.status === 415) {
      const sent = req.headers['content-type']?.split(';')[0]?.trim();
      // What this route takes, from the document: JSON, or a multipart form (evidence uploads).
      const takes = mediaTypesOf(req);
      const wanted = takes.length > 0 ? takes.join(' or ') : 'application/json';
      const how = takes.includes('multipart/form-data')
        ? 'Send a multipart/form-data form (curl -F).'
        : 'Send a JSON body with Content-Type: application/json (an empty object {} where nothing else is needed).';
      const hasBody =
        (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') ||
        req.headers['transfer-encoding'] !== undefined;
      return sendProblem(res, {
        type: problemType('unsupported-media-type'),
        title: 'Unsupported media type',
        status: 415,
        detail: `${req.method} ${req.path} takes ${wanted}; ${
          sent ? `it was sent ${sent}` : hasBody ? 'the body came without a Content-Type' : 'it was sent no body'
        }. ${how}`,
        errors: [
          {
            field: 'Content-Type',
            message: sent ? `expected ${wanted}, not ${sent}` : `required: ${wanted}`,
          },
        ],
      });
    }
    if (isValidatorError(error) && error.status > 400 && error.status < 500) {
      return sendProblem(res, {
        type: problemType(
          error.status === 415
            ? 'unsupported-media-type'
            : error.status === 405
              ? 'method-not-allowed'
              : error.status === 404
                ? 'not-found'
                : 'bad-request',
        ),
        title: error.message,
        status: error.status,
        detail: error.message,
      });
    }
    if (error instanceof WrongExpectedRevisionError) {
      return sendProblem(res, {
        type: problemType('conflict'),
        title: 'Conflict',
        status: 409,
        detail: 'The resource was changed by another request; read it again and retry.',
      });
    }
    const status =
      (error as { status?: number; statusCode?: number }).status ?? (error as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Errors from body parsing and the like: the client's fault, so say what went wrong.
      const type = (error as { type?: string }).type;
      if (type === 'entity.parse.failed') {
        const raw = (error as { body?: unknown }).body;
        let bare = false;
        try {
          bare = typeof raw === 'string' && JSON.parse(raw) !== undefined; // JSON, but not an object or array
        } catch {
          bare = false;
        }
        return sendProblem(res, {
          type: problemType('malformed-body'),
          title: 'Malformed body',
          status,
          detail: bare
            ? 'The body must be a JSON object (or array), not a bare value. Send, for instance, {} where nothing else is needed.'
            : `The body is not valid JSON (${(error as Error).message}). Send a JSON object with Content-Type: application/json.`,
          errors: [{ field: '(body)', message: bare ? 'expected a JSON object' : 'not valid JSON' }],
        });
      }
      return sendProblem(res, {
        type: problemType(
          type === 'entity.too.large'
            ? 'payload-too-large'
            : type === 'entity.parse.failed'
              ? 'malformed-body'
              : 'bad-request',
        ),
        title: type === 'entity.too.large' ? 'Payload too large' : 'Bad request',
        status,
        detail: (error as Error).message,
      });
    }
    ((req as { log?: Logger }).log ?? logger).error({ err: error }, 'unhandled error');
    sendProblem(res, {
      type: problemType('internal'),
      title: 'Internal server error',
      status: 500,
      detail: 'The request could not be completed. It has been logged with its correlation id.',
    });
  };
}
