import type { Response } from 'express';
import type { Position } from '../../infrastructure/event-store/position.js';
import { etagOf } from '../../infrastructure/http/contract/etag.js';

export { ifMatchOf } from '../../infrastructure/http/contract/etag.js';

/** The success envelope: `{ data, meta: { position } }`, with the resource's strong ETag (contract/etag.ts). */
export function sendCommandResult(
  res: Response,
  status: number,
  data: unknown,
  result: { position: Position | null; revision?: number },
): void {
  if (result.revision !== undefined && result.revision >= 0) res.setHeader('ETag', etagOf(result.revision));
  res.status(status).json({ data, meta: { position: result.position } });
}
