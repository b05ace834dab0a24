import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import { ERROR_SERIALIZERS, type Logger } from '../logging/logger.js';

const HEADER = 'x-correlation-id';
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Correlation-Id when it is a sane token, else a new UUID. */
export function correlationIdOf(req: IncomingMessage): string {
  const given = req.headers[HEADER];
  return typeof given === 'string' && ACCEPTABLE.test(given) ? given : randomUUID();
}

/**
 * Request logging with a correlation id: taken from X-Correlation-Id or made up, echoed back in the response, and
 * present on every log line of the request (req.log) and, through command metadata, on every event it causes.
 */
export function requestLogging(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const id = correlationIdOf(req);
      res.setHeader('X-Correlation-Id', id);
      return id;
    },
    customProps: (req: IncomingMessage) => ({ correlationId: (req as IncomingMessage & { id: string }).id }),
    // Health probes every few seconds would drown everything else.
    autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' || req.url === '/ready' },
    serializers: {
      // pino-http brings its own error serialiser, which copies every property of an error (SQL, bind parameters).
      ...ERROR_SERIALIZERS,
      // The path only: query strings can carry tokens (an email verification link, say).
      req: (req: { method: string; url: string; remoteAddress?: string }) => ({
        method: req.method,
        path: req.url.split('?')[0],
        remoteAddress: req.remoteAddress,
      }),
    },
  });
}
