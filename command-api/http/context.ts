import type { Request, Response } from 'express';
import { authOf } from '../../infrastructure/http/authentication.js';
import { clientAddressOf } from '../../infrastructure/http/client-address.js';
import type { CommandContext } from './command-handler.js';

/** Who is acting, for whom, in which request: the metadata every event of the command carries. */
export function commandContext(req: Request, res: Response): CommandContext {
  const auth = authOf(res);
  return { tenantId: auth.tenantId, actorId: auth.userId, correlationId: String(req.id), ip: clientAddressOf(req) };
}
