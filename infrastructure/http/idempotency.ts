import type { Request, RequestHandler, Response } from 'express';
import { sql } from 'kysely';
import type { Database } from '../database/database.js';
import { canonicalJson } from '../hashing.js';
import type { Authenticated } from './authentication.js';
import { HttpProblem } from './problem.js';

const KEY = /^[A-Za-z0-9._:-]{1,255}$/;
const RETENTION = '24 hours';
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A keyed hash of what identifies a request: equal requests can be matched, their content never read back. */
export type RequestDigest = (tenantId: string, material: string) => string;

/**
 * What a route's answer may keep in the idempotency store. `withheld` fields of `data` are never stored: secrets
 * shown once, text derived from a prompt. `restore` rebuilds them on replay from the retried request (equal to the
 * first, by its hash) where that is possible; fields it cannot rebuild are named in `meta.withheld`.
 */
export interface StoredAnswerRules {
  withheld: readonly string[];
  restore?: (data: Record<string, unknown>, req: Request) => Record<string, unknown>;
  /** Why the withheld fields are missing from a replay, for the caller. */
  reason?: string;
}

interface StoredRow {
  request_hash: string;
  status: number | null;
  response: unknown;
  headers: Record<string, string> | null;
}

function invalidKey(): HttpProblem {
  return new HttpProblem(
    400,
    'validation',
    'The request is not valid',
    'Idempotency-Key must be 1 to 255 letters, digits or ._:-',
    { errors: [{ field: 'Idempotency-Key', message: 'expected 1 to 255 letters, digits or ._:-' }] },
  );
}

/** The key a request carries, checked; undefined when it carries none. */
function keyOf(req: Request): string | undefined {
  const key = req.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || !KEY.test(key)) throw invalidKey();
  return key;
}

/**
 * Unauthenticated routes (register, login, reset…) check the key's form but never store or replay an answer: a
 * stored answer is only ever given back to the tenant and user it was made for.
 */
export const idempotencyKeyForm: RequestHandler = (req, _res, next) => {
  try {
    if (MUTATING.has(req.method)) keyOf(req);
    next();
  } catch (error) {
    next(error);
  }
};

/**
 * Idempotency-Key on mutating requests of authenticated routes (mount after `authenticate`): the first answer to a
 * key is stored and replayed to every retry of the same request, which therefore changes nothing; the same key with
 * another request is a 422. Keys are scoped to the caller's tenant and user. A row is claimed before the command
 * runs, so concurrent retries cannot both execute: the second gets a 409 until the first has finished.
 *
 * The request is identified by a keyed hash (never its content) of the method, path and body. A multipart body is
 * streamed by its route, which claims the key itself once it has read the fields and the file's digest
 * (`claimIdempotencyKey`). Only JSON answers are stored, without the route's withheld fields; any other answer
 * (a file, a failure on our side) forgets the key, so that a retry runs again.
 */
export function idempotency(database: Database, digest: RequestDigest, rules?: StoredAnswerRules): RequestHandler {
  return async (req, res, next) => {
    try {
      if (!MUTATING.has(req.method)) return next();
      const key = keyOf(req);
      if (key === undefined) return next();
      const auth = res.locals.auth as Authenticated | undefined;
      if (!auth) return next(); // mounted after authenticate: never reached without a caller
      const claim = new IdempotencyClaim(database, digest, auth, key, req, res, rules);
      if (req.is('multipart/form-data')) {
        res.locals.idempotency = claim;
        return next();
      }
      if (await claim.claim(req.body ?? null)) next();
    } catch (error) {
      next(error);
    }
  };
}

/**
 * For routes that stream their body: claims the request's Idempotency-Key (if any) with what identifies the request
 * once read. Returns false when the answer was given from the store (the route must stop and clean up).
 */
export async function claimIdempotencyKey(res: Response, material: unknown): Promise<boolean> {
  const claim = res.locals.idempotency as IdempotencyClaim | undefined;
  return claim ? claim.claim(material) : true;
}

class IdempotencyClaim {
  private readonly scope: string;

  constructor(
    private readonly database: Database,
    private readonly digest: RequestDigest,
    private readonly auth: Authenticated,
    private readonly key: string,
    private readonly req: Request,
    private readonly res: Response,
    private readonly rules: StoredAnswerRules | undefined,
  ) {
    this.scope = `${auth.tenantId}:${auth.userId}`;
  }

  /** True when the request should run (the key is now ours); false when it has been answered. */
  async claim(material: unknown): Promise<boolean> {
    const { req, scope, key } = this;
    const path = req.originalUrl.split('?')[0];
    const requestHash = this.digest(this.auth.tenantId, `${req.method} ${path}\n${canonicalJson(material) ?? ''}`);
    const claimed =
      await sql`insert into idempotency_keys (scope, key, request_hash) values (${scope}, ${key}, ${requestHash})
      on conflict (scope, key) do nothing returning key`.execute(this.database.db);
    if (claimed.rows.length === 0) {
      const { rows } = await sql<StoredRow>`
        select request_hash, status, response, headers from idempotency_keys where scope = ${scope} and key = ${key}`.execute(
        this.database.db,
      );
      const stored = rows[0];
      if (!stored) throw new HttpProblem(409, 'idempotency-in-progress', 'Request in progress', 'Retry in a moment.');
      if (stored.request_hash !== requestHash) {
        throw new HttpProblem(
          422,
          'idempotency-key-reused',
          'Idempotency-Key reused',
          'This Idempotency-Key was used for a different request.',
          { errors: [{ field: 'Idempotency-Key', message: 'already used with another request' }] },
        );
      }
      if (stored.status === null) {
        throw new HttpProblem(
          409,
          'idempotency-in-progress',
          'Request in progress',
          'The first request with this key has not finished; retry in a moment.',
        );
      }
      this.replay(stored);
      return false;
    }
    this.recordAnswer();
    return true;
  }

  private replay(stored: StoredRow): void {
    const { res } = this;
    for (const [name, value] of Object.entries(stored.headers ?? {})) res.setHeader(name, value);
    res.setHeader('Idempotent-Replayed', 'true');
    if (stored.response === null) return void res.status(stored.status!).end();
    res.status(stored.status!).json(this.restored(stored.response as { data?: unknown; meta?: object }));
  }

  /** The stored answer with what was withheld rebuilt where the route can, and named where it cannot. */
  private restored(answer: { data?: unknown; meta?: object }): unknown {
    const { rules, req } = this;
    if (!rules || !isRecord(answer.data)) return answer;
    const data = rules.restore ? rules.restore(answer.data, req) : answer.data;
    const missing = rules.withheld.filter((field) => !(field in data));
    if (missing.length === 0) return { ...answer, data };
    return {
      ...answer,
      data,
      meta: {
        ...answer.meta,
        withheld: missing,
        withheldReason: rules.reason ?? 'These fields are shown once and never stored, so a replay cannot show them.',
      },
    };
  }

  /** Stores the final answer before it leaves, so that a retry arriving right after it is answered from the store. */
  private recordAnswer(): void {
    const { res, database, scope, key } = this;
    let body: { stored: unknown } | undefined;
    let other = false;
    const json = res.json.bind(res);
    res.json = (value: unknown) => {
      body = { stored: this.storable(value) };
      return json(value);
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    res.write = ((...args: unknown[]) => {
      if (!body) other = true;
      return write(...args);
    }) as typeof res.write;
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    let persisted = false;
    res.end = ((...args: unknown[]) => {
      if (persisted) return end(...args);
      persisted = true;
      if (!body && typeof args[0] !== 'function' && args[0] !== undefined) other = true;
      const headers: Record<string, string> = {};
      for (const name of ['etag', 'location']) {
        const value = res.getHeader(name);
        if (typeof value === 'string') headers[name] = value;
      }
      // Failures on our side and answers that are not JSON (files) are not kept: a retry runs again.
      const forget = res.statusCode >= 500 || other;
      const query = forget
        ? sql`delete from idempotency_keys where scope = ${scope} and key = ${key}`
        : sql`update idempotency_keys set status = ${res.statusCode}, response = ${JSON.stringify(body?.stored ?? null)}::jsonb,
                headers = ${JSON.stringify(headers)}::jsonb where scope = ${scope} and key = ${key}`;
      query
        .execute(database.db)
        .catch(() => {})
        .finally(() => end(...args));
      if (Math.random() < 0.01) {
        void sql`delete from idempotency_keys where created_at < now() - ${RETENTION}::interval`
          .execute(database.db)
          .catch(() => {});
      }
      return res;
    }) as typeof res.end;
  }

  /** The answer without the fields the route withholds from storage. */
  private storable(value: unknown): unknown {
    const withheld = this.rules?.withheld ?? [];
    if (withheld.length === 0 || !isRecord(value) || !isRecord(value.data)) return value;
    const data = Object.fromEntries(Object.entries(value.data).filter(([field]) => !withheld.includes(field)));
    return { ...value, data };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
