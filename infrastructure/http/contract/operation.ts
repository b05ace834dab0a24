import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { Permission } from '../../../domain/accounts/roles.js';
import type { StoredAnswerRules } from '../idempotency.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call an operation: anyone, anyone signed in, or those whose role has one of these permissions. */
export type Access = 'public' | 'signed-in' | { permission: Permission | readonly Permission[] };

/** One answer of an operation: JSON described by a schema, a file of some media types, or nothing. */
export interface Answer {
  description: string;
  /** A problem (application/problem+json): 404, 409, 422… */
  problem?: boolean;
  /** The JSON body (application/json). */
  schema?: z.ZodType;
  /** Other media types, such as a PDF: their schema in the document (a binary string when null). */
  files?: Record<string, z.ZodType | null>;
  headers?: Record<string, { description: string; schema?: z.ZodType }>;
}

/** Request headers an operation reads, documented as its parameters. */
export type RequestHeader = 'Idempotency-Key' | 'If-Match' | 'X-Min-Position';

type Shape = z.ZodObject | undefined;
type Infer<T, Otherwise> = T extends z.ZodType ? z.output<T> : Otherwise;

/** The request a handler gets: path, query and body as their schemas parse them. */
export type OperationRequest<P extends Shape, Q extends Shape, B extends z.ZodType | undefined> = Request<
  Infer<P, Record<string, never>>,
  unknown,
  Infer<B, undefined>,
  Infer<Q, Record<string, never>>
>;

/**
 * An operation of the HTTP API, declared once beside its handler: method, path, who may call it, the schemas of its
 * path, query and body, and its answers. The Express route, its request and response validation and its part of the
 * OpenAPI document are all derived from this declaration.
 */
export interface Operation<
  P extends Shape = Shape,
  Q extends Shape = Shape,
  B extends z.ZodType | undefined = z.ZodType | undefined,
> {
  operationId: string;
  method: Method;
  /** OpenAPI form, under /api/v1: '/clients/{id}'. */
  path: string;
  tags: readonly string[];
  summary: string;
  description?: string;
  access: Access;
  params?: P;
  query?: Q;
  /**
   * The JSON body (optional when its schema accepts undefined); or, with `multipart`, the form's fields as documented
   * (the handler streams and checks them).
   */
  body?: B;
  multipart?: boolean;
  headers?: readonly RequestHeader[];
  /** With Idempotency-Key: what of the answer the idempotency store must not keep (secrets, prompt text). */
  storedAnswer?: StoredAnswerRules;
  /**
   * A GET of one resource: the stream its commands append to (from its path's params and the caller's tenant). Its
   * strong ETag (contract/etag.ts) is answered with the resource and documented; commands on the resource answer the
   * same ETag and check If-Match against it.
   */
  etag?: (params: Infer<P, Record<string, never>>, tenantId: string) => string;
  /** Answers by status; problem answers (400, 401, 403, 404, …) are added to the document for every operation. */
  answers: Record<number, Answer>;
  /** What runs between validation and the handler (waiting for read models, idempotency). */
  before?: readonly RequestHandler[];
  handler: (req: OperationRequest<P, Q, B>, res: Response) => Promise<void> | void;
}

/** Declares an operation; the identity, for the types of its request to follow from its schemas. */
export function operation<
  P extends Shape = undefined,
  Q extends Shape = undefined,
  B extends z.ZodType | undefined = undefined,
>(declared: Operation<P, Q, B>): Operation<P, Q, B> {
  return declared;
}

/** Any operation, whatever its schemas. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOperation = Operation<any, any, any>;
