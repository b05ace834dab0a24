import type { Request, Response } from 'express';
import type { Position } from '../../infrastructure/event-store/position.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';

/** The success envelope: `{ data, meta: { position } }`, with the aggregate's revision as a strong ETag. */
export function sendCommandResult(
  res: Response,
  status: number,
  data: unknown,
  result: { position: Position | null; revision?: number },
): void {
  if (result.revision !== undefined && result.revision >= 0) res.setHeader('ETag', `"${result.revision}"`);
  res.status(status).json({ data, meta: { position: result.position } });
}

/** The revision a client sent in If-Match ("3", W/"3" or 3), or undefined when it sent none. */
export function ifMatchOf(req: Request): number | undefined {
  const header = req.headers['if-match'];
  if (header === undefined || header === '*') return undefined;
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(header.trim());
  if (!match) {
    throw new HttpProblem(
      400,
      'invalid-if-match',
      'Invalid If-Match',
      'If-Match must be the ETag of the resource, such as "3".',
      {
        errors: [{ field: 'If-Match', message: 'expected an ETag such as "3"' }],
      },
    );
  }
  return Number(match[1]);
}
