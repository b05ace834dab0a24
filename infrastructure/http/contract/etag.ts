import type { Request, RequestHandler, Response } from 'express';
import type { Position } from '../../event-store/position.js';
import { HttpProblem } from '../problem.js';

/**
 * Strong ETags, one per resource, derived from the revision of the stream its commands append to: the number of
 * events recorded for it ("1" once created, like a policy's first version), so that every command on it gives a new
 * one. Its GET and every command on it answer it; commands that take If-Match compare it byte for byte (RFC 9110
 * strong comparison: a weak W/"…" tag never matches).
 */
export function etagOf(revision: number): string {
  return `"${revision + 1}"`;
}

/** If-Match as sent: `*` (the resource exists) or the entity tags it lists. */
export type IfMatch = '*' | readonly string[];

const ENTITY_TAG = /^(?:W\/)?"[\x21\x23-\x7e]*"$/;

/** The If-Match a request carries, or undefined without one; a malformed one is a 400 saying what to send. */
export function ifMatchOf(req: Request): IfMatch | undefined {
  const header = req.headers['if-match'];
  if (header === undefined) return undefined;
  const text = header.trim();
  if (text === '*') return '*';
  const tags = text.split(',').map((tag) => tag.trim());
  if (tags.length === 0 || tags.some((tag) => !ENTITY_TAG.test(tag))) {
    throw new HttpProblem(
      400,
      'invalid-if-match',
      'Invalid If-Match',
      'If-Match must be the ETag header of the resource exactly as its GET or the last command on it answered it, quotes included, such as "3".',
      { errors: [{ field: 'If-Match', message: 'expected an ETag such as "3", quotes included' }] },
    );
  }
  return tags;
}

/** Whether a stream at `revision` meets the condition. */
export function meets(condition: IfMatch, revision: number | 'no_stream'): boolean {
  if (revision === 'no_stream') return false;
  return condition === '*' || condition.includes(etagOf(revision));
}

/** The 412 of a stale If-Match: it names the current ETag (in the problem and in the ETag header). */
export function preconditionFailed(condition: IfMatch, revision: number | 'no_stream'): HttpProblem {
  const current = revision === 'no_stream' ? null : etagOf(revision);
  const sent = condition === '*' ? '*' : condition.join(', ');
  const weak = condition !== '*' && condition.some((tag) => tag.startsWith('W/'));
  const problem = new HttpProblem(
    412,
    'precondition-failed',
    'Precondition failed',
    current === null
      ? `If-Match: ${sent} needs the resource to exist; it does not.`
      : `If-Match: ${sent} does not match the current ETag ${current}${weak ? ' (a weak W/ tag never matches: send the strong ETag)' : ''}: the resource changed since you read it. Read it again (its GET answers ETag: ${current}), check that your change still applies, and send If-Match: ${current}.`,
    {
      currentETag: current,
      errors: [
        { field: 'If-Match', message: current === null ? 'no such resource' : `the current ETag is ${current}` },
      ],
    },
  );
  if (current !== null) problem.headers = { ETag: current };
  return problem;
}

/** What a GET found of its resource's stream before reading it: the ETag to answer and the position to wait for. */
interface PendingTag {
  tag: string;
  position: Position;
}

/** The stream head a GET's ETag derives from (undefined when the stream does not exist). */
export type StreamHead = (streamId: string) => Promise<{ revision: number; position: Position } | undefined>;

/**
 * For an operation that declares its resource's stream: reads the stream's head, and answers its ETag with the
 * resource, on success only (a 404 says nothing of what exists). A read as of a moment (`?asOf=`) is history, not
 * something to send If-Match from: it has none. The read-model wait (`query-api/http/min-position.ts`) waits until the
 * read models show at least that revision, so that the ETag never claims more than the answer shows; when they do not
 * in time, the answer goes without one.
 */
export function strongETag(streamOf: (req: Request, res: Response) => string, head: StreamHead): RequestHandler {
  return async (req, res, next) => {
    try {
      if ((req.query as { asOf?: unknown }).asOf !== undefined) return next();
      const found = await head(streamOf(req, res));
      if (!found) return next();
      const pending: PendingTag = { tag: etagOf(found.revision), position: found.position };
      res.locals.etag = pending;
      const json = res.json.bind(res);
      res.json = (body: unknown) => {
        const tag = (res.locals.etag as PendingTag | undefined)?.tag;
        if (tag && res.statusCode >= 200 && res.statusCode < 300) res.setHeader('ETag', tag);
        return json(body);
      };
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** The position a GET's ETag needs the read models to have reached, if it has one. */
export const etagPosition = (res: Response): Position | undefined =>
  (res.locals.etag as PendingTag | undefined)?.position;

/** The read models did not reach the ETag's revision in time: the answer goes without an ETag. */
export const dropETag = (res: Response): void => {
  delete res.locals.etag;
};
