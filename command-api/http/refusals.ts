import type { Request, RequestHandler, Response } from 'express';
import { clientNamedIn, commandLogStream, type CommandRefusedData } from '../../domain/audit/command-refused.js';
import { assessmentStream } from '../../domain/assessments/assessment.js';
import { evidenceStream } from '../../domain/evidence/evidence.js';
import { policyStream } from '../../domain/policies/policy.js';
import type { EventStore } from '../../infrastructure/event-store/types.js';
import type { Authenticated } from '../../infrastructure/http/authentication.js';
import { clientAddressOf } from '../../infrastructure/http/client-address.js';
import type { ProblemDetails } from '../../infrastructure/http/problem.js';
import type { Logger } from '../../infrastructure/logging/logger.js';

const COMMANDS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The client a refused command was aimed at: as its handler found it (`res.locals.targetClientId`, such as a
 * violation's client), else as its path (`/clients/{id}…`) or its body's `clientId` names it; null when it names none.
 */
async function targetClientOf(
  req: Request,
  res: Response,
  eventStore: EventStore,
  tenantId: string,
): Promise<string | null> {
  const found = (res.locals as { targetClientId?: unknown }).targetClientId;
  if (typeof found === 'string') return found;
  const path = req.originalUrl.split('?')[0]!;
  const named = clientNamedIn(path);
  if (named) return named;
  const body = (req.body ?? {}) as { clientId?: unknown };
  if (typeof body.clientId === 'string' && UUID.test(body.clientId)) return body.clientId.toLowerCase();
  // A command on one client's resource (evidence, a policy, an assessment): the client its stream was created for.
  const resource = RESOURCE_PATH.exec(path);
  if (!resource) return null;
  const [created] = await eventStore
    .readStream(RESOURCE_STREAMS[resource[1] as keyof typeof RESOURCE_STREAMS](tenantId, resource[2]!.toLowerCase()), {
      maxCount: 1,
    })
    .catch(() => []);
  const clientId = (created?.metadata as { clientId?: unknown } | undefined)?.clientId;
  return typeof clientId === 'string' ? clientId : null;
}

const RESOURCE_STREAMS = { evidence: evidenceStream, policies: policyStream, assessments: assessmentStream };
const RESOURCE_PATH =
  /\/(evidence|policies|assessments)\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\/|$)/i;

/**
 * Refused commands belong in the audit trail too ("who tried to approve their own draft?"). When an authenticated
 * command is answered with a 4xx, a CommandRefused event records who, what, when, from where and why in the
 * tenant's command log, and so in the audit log (outcome "refused") and its hash chain. It is written after the
 * answer has gone: a failure to write it is logged and never becomes the caller's problem. Bodies are not recorded.
 */
export function recordRefusals(eventStore: EventStore, logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (COMMANDS.has(req.method)) {
      res.once('finish', () => {
        const auth = res.locals.auth as Authenticated | undefined;
        const problem = res.locals.problem as ProblemDetails | undefined;
        if (!auth || res.statusCode < 400 || res.statusCode >= 500) return;
        const data: CommandRefusedData = {
          method: req.method,
          path: req.originalUrl.split('?')[0]!,
          status: res.statusCode,
          problem: problem?.type ?? 'about:blank',
          title: problem?.title ?? '',
          detail: problem?.detail ? problem.detail.slice(0, 500) : null,
          fields: (problem?.errors ?? []).map((e) => e.field),
        };
        const ip = clientAddressOf(req);
        const day = new Date().toISOString().slice(0, 10);
        // A client-scoped user's refusals are part of its client's history; an MSP user's, of the client it aimed at.
        (auth.clientId ? Promise.resolve(auth.clientId) : targetClientOf(req, res, eventStore, auth.tenantId))
          .then((clientId) =>
            eventStore.append(
              commandLogStream(auth.tenantId, day),
              [
                {
                  type: 'CommandRefused',
                  data,
                  metadata: {
                    tenantId: auth.tenantId,
                    actorId: auth.userId,
                    correlationId: String(req.id),
                    clientId,
                    ...(ip ? { ip } : {}),
                  },
                },
              ],
              { expectedRevision: 'any' },
            ),
          )
          .catch((error: unknown) =>
            logger.error(
              { err: error, method: req.method, path: data.path, status: data.status },
              'could not record a refused command',
            ),
          );
      });
    }
    next();
  };
}
