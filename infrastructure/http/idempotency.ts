import type { RequestHandler, Response } from 'express';
import { sql } from 'kysely';
import type { Database } from '../database/database.js';
import { canonicalJson, sha256Hex } from '../hashing.js';
import { HttpProblem } from './problem.js';

const KEY = /^[A-Za-z0-9._:-]{1,255}$/;
const RETENTION = '24 hours';

/**
 * Idempotency-Key on POST: the first response to a key is stored and replayed to every retry with the same body,
 * which therefore appends nothing; the same key with another body is a 422. Keys are scoped to the caller (tenant
 * and user, or the anonymous caller's route). A row is claimed before the command runs, so concurrent retries do not
 * both execute: the second one gets a 409 until the first has finished.
 *
 * `skipStorage` routes (token issuing) honour the key for conflicts but never store their responses: tokens are not
 * written to the database.
 */
export function idempotency(
  database: Database,
  options: { skipStorage?: (path: string) => boolean } = {},
): RequestHandler {
  return async (req, res, next) => {
    const key = req.headers['idempotency-key'];
    if (req.method !== 'POST' || key === undefined) return next();
    if (typeof key !== 'string' || !KEY.test(key)) {
      return next(
        new HttpProblem(
          400,
          'validation',
          'The request is not valid',
          'Idempotency-Key must be 1 to 255 letters, digits or ._:-',
          {
            errors: [{ field: 'Idempotency-Key', message: 'expected 1 to 255 letters, digits or ._:-' }],
          },
        ),
      );
    }
    if (options.skipStorage?.(req.path)) return next();
    const auth = res.locals.auth as { tenantId: string; userId: string } | undefined;
    const scope = auth ? `${auth.tenantId}:${auth.userId}` : `anonymous:${req.path}`;
    const requestHash = sha256Hex(
      `${req.method} ${req.originalUrl.split('?')[0]}\n${canonicalJson(req.body ?? null) ?? ''}`,
    );
    try {
      const claimed =
        await sql`insert into idempotency_keys (scope, key, request_hash) values (${scope}, ${key}, ${requestHash})
        on conflict (scope, key) do nothing returning key`.execute(database.db);
      if (claimed.rows.length === 0) {
        const { rows } = await sql<{
          request_hash: string;
          status: number | null;
          response: unknown;
          headers: Record<string, string> | null;
        }>`
          select request_hash, status, response, headers from idempotency_keys where scope = ${scope} and key = ${key}`.execute(
          database.db,
        );
        const stored = rows[0];
        if (!stored)
          return next(new HttpProblem(409, 'idempotency-in-progress', 'Request in progress', 'Retry in a moment.'));
        if (stored.request_hash !== requestHash) {
          return next(
            new HttpProblem(
              422,
              'idempotency-key-reused',
              'Idempotency-Key reused',
              'This Idempotency-Key was used for a different request.',
              {
                errors: [{ field: 'Idempotency-Key', message: 'already used with another request body' }],
              },
            ),
          );
        }
        if (stored.status === null)
          return next(
            new HttpProblem(
              409,
              'idempotency-in-progress',
              'Request in progress',
              'The first request with this key has not finished; retry in a moment.',
            ),
          );
        for (const [name, value] of Object.entries(stored.headers ?? {})) res.setHeader(name, value);
        res.setHeader('Idempotent-Replayed', 'true');
        if (stored.response === null) return void res.status(stored.status).end();
        return void res.status(stored.status).json(stored.response);
      }
    } catch (error) {
      return next(error);
    }

    // Store the final response before it leaves, so that a retry arriving right after it is answered from the store.
    // A failure on our side (5xx) forgets the key instead, so that a retry runs again.
    let body: unknown = null;
    const json = res.json.bind(res);
    res.json = (value: unknown) => {
      body = value;
      return json(value);
    };
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    let persisted = false;
    res.end = ((...args: unknown[]) => {
      if (persisted) return end(...args);
      persisted = true;
      const headers: Record<string, string> = {};
      for (const name of ['etag', 'location']) {
        const value = res.getHeader(name);
        if (typeof value === 'string') headers[name] = value;
      }
      const write =
        res.statusCode >= 500
          ? sql`delete from idempotency_keys where scope = ${scope} and key = ${key}`
          : sql`update idempotency_keys set status = ${res.statusCode}, response = ${JSON.stringify(body)}::jsonb, headers = ${JSON.stringify(headers)}::jsonb
                where scope = ${scope} and key = ${key}`;
      write
        .execute(database.db)
        .catch(() => {})
        .finally(() => end(...args));
      if (Math.random() < 0.01)
        void sql`delete from idempotency_keys where created_at < now() - ${RETENTION}::interval`
          .execute(database.db)
          .catch(() => {});
      return res;
    }) as typeof res.end;
    next();
  };
}
