/**
 * The ledger process. LEDGER_ROLE=all (the default) runs both APIs and the projections in one process on the
 * embedded default; production runs one role per service (docker-compose.yml).
 */
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import express from 'express';
import { commandOperations } from '../command-api/operations.js';
import { accountPages } from '../command-api/auth/pages.js';
import { chatConversation } from '../command-api/chat/conversation.js';
import { attachChatWebSocket } from '../command-api/chat/websocket.js';
import { CommandHandler } from '../command-api/http/command-handler.js';
import { recordRefusals } from '../command-api/http/refusals.js';
import { queryOperations } from '../query-api/operations.js';
import { documentOf } from '../infrastructure/http/contract/document.js';
import { methodNotAllowed } from '../infrastructure/http/contract/explain.js';
import { mountOperations } from '../infrastructure/http/contract/mount.js';
import type { AnyOperation } from '../infrastructure/http/contract/operation.js';
import { authenticate } from '../infrastructure/http/authentication.js';
import { idempotency } from '../infrastructure/http/idempotency.js';
import { ConfigError, isEmbedded, loadConfig, type Config } from '../infrastructure/config/config.js';
import { embeddedKind } from '../infrastructure/database/configured.js';
import { requestLogging } from '../infrastructure/http/correlation.js';
import { openApiDocument } from '../infrastructure/http/openapi.js';
import { operationalOperations, operationsRouter } from '../infrastructure/http/operations.js';
import { errorHandler, noSuchRoute } from '../infrastructure/http/problem.js';
import { refuseUnstorableText } from '../infrastructure/http/refuse-unstorable.js';
import { requestValidation } from '../infrastructure/http/request-validation.js';
import { securityHeaders } from '../infrastructure/http/security-headers.js';
import { createLogger, type Logger } from '../infrastructure/logging/logger.js';
import { openResources } from '../infrastructure/runtime/resources.js';
import { VIOLATION_SCHEMA_PATH, violationsV1Schema } from '../projections/violations/cloud-event.js';
import { startWorkers, type Workers } from '../projections/workers.js';
import { projectionMetrics } from '../projections/metrics.js';
import { gatewayDeps } from '../gateway/deps.js';
import { gatewayRouter } from '../gateway/router.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export interface RunningLedger {
  /** The URL users reach the ledger at: PUBLIC_URL, else where it listens. */
  url: string;
  /** Where this process listens. */
  listeningUrl: string;
  /** The log-following workers, when this process runs them. */
  workers?: Workers;
  /** Every route the process serves, as Express holds them (for the test that compares them with the document). */
  routes(): Array<{ method: string; path: string }>;
  close(): Promise<void>;
}

/** Walks Express's stack: every route, with the paths its routers are mounted at. */
function routesOf(stack: unknown[], prefix = ''): Array<{ method: string; path: string }> {
  return (
    stack as Array<{
      route?: { path: string; methods: Record<string, boolean> };
      handle?: { stack?: unknown[] };
      rawPath?: string;
    }>
  ).flatMap((layer) => {
    if (layer.route)
      return Object.keys(layer.route.methods).map((method) => ({ method, path: `${prefix}${layer.route!.path}` }));
    if (layer.handle?.stack)
      return routesOf(layer.handle.stack, `${prefix}${layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : ''}`);
    return [];
  });
}

/** Both sides may document methods of one path (POST /webhooks writes, GET /webhooks reads): merged per method. */
function mergePaths(...parts: Array<Record<string, unknown>>): Record<string, unknown> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const part of parts)
    for (const [path, item] of Object.entries(part))
      merged[path] = { ...merged[path], ...(item as Record<string, unknown>) };
  return merged;
}

export async function startLedger(config: Config, logger: Logger): Promise<RunningLedger> {
  const resources = await openResources(config, logger, { migrate: config.MIGRATE_ON_START });
  const role = config.LEDGER_ROLE;
  const app = express();
  app.disable('x-powered-by');
  // Express's automatic ETags are weak hashes of the body, which If-Match could never accept: the API's resources
  // answer strong ETags of their own (infrastructure/http/contract/etag.ts), and nothing else gets one.
  app.set('etag', false);
  app.set('trust proxy', config.TRUST_PROXY);
  app.use(requestLogging(logger), securityHeaders({ publicUrl: config.PUBLIC_URL }));
  const writes = role === 'all' || role === 'command-api';
  const reads = role === 'all' || role === 'query-api';
  const handler = new CommandHandler(resources.eventStore, resources.vault);
  // Built once: the gateway's routes, the chat's routes and its WebSocket share its rates and budgets.
  const gateway = gatewayDeps(resources, handler);
  const operations = [
    ...(writes ? commandOperations(resources, handler, gateway) : []),
    ...(reads ? queryOperations(resources) : []),
  ];
  // /health and /ready stay at the root, outside /api/v1, where probes look for them.
  // The pages the mails link to (verification, invitation, reset), where the command API runs.
  const operational = [
    ...operationalOperations({ version, readiness: resources.readiness }),
    ...(writes ? accountPages() : []),
  ];
  const declared = documentOf(operations);
  const root = documentOf(operational, '');
  const paths = mergePaths(root.paths, declared.paths);
  const document = openApiDocument({
    version,
    serverUrl: config.PUBLIC_URL ?? '/',
    paths,
    schemas: { ...root.schemas, ...declared.schemas },
  });
  const metrics = projectionMetrics(resources.database, resources.eventStore);
  resources.readiness.push(...metrics.readiness);
  const authenticated = authenticate(resources.accessTokens, resources.sessions);
  const digest = (tenantId: string, material: string) => resources.tenantHash(tenantId, 'idempotency', material);
  const mounting = {
    authenticate: authenticated,
    idempotency: (operation: AnyOperation) => idempotency(resources.database, digest, operation.storedAnswer),
    streamHead: async (streamId: string) => {
      const [last] = await resources.eventStore.readStream(streamId, { direction: 'backwards', maxCount: 1 });
      return last && { revision: last.revision, position: last.position };
    },
  };
  app.use(mountOperations(operational, mounting));
  app.use(operationsRouter({ document, publicUrl: config.PUBLIC_URL }));
  app.use(metrics.router);
  // The published schema of violation messages, for integrators (public, like the OpenAPI document).
  app.get(
    VIOLATION_SCHEMA_PATH,
    (_req, res) => void res.type('application/schema+json').send(JSON.stringify(violationsV1Schema, null, 2)),
  );

  // The OpenAI-compatible gateway, outside /api/v1 and its OpenAPI validator: OpenAI's wire format and errors.
  if (writes) app.use('/gateway/v1', gatewayRouter(gateway, logger));

  // Bodies are small JSON documents; anything bigger is refused with a 413 problem before it is parsed.
  // Prompts may be longer: their route takes up to PROMPT_MAX_CHARS characters of any script (at most 4 bytes each).
  app.use(
    '/api/v1/analyze',
    express.json({
      limit: config.PROMPT_MAX_CHARS * 4 + 64 * 1024,
      strict: true,
      type: ['application/json', 'application/*+json'],
    }),
  );
  // Answers of the API carry tenants' data and tokens: no cache on the way (or the browser's) is to keep them.
  app.use('/api/v1', (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use('/api/v1', express.json({ limit: '256kb', strict: true, type: ['application/json', 'application/*+json'] }));
  app.use(requestValidation(document, { validateResponses: config.OPENAPI_VALIDATE_RESPONSES }), refuseUnstorableText);
  if (writes) app.use('/api/v1', recordRefusals(resources.eventStore, logger));
  app.use('/api/v1', mountOperations(operations, mounting));
  app.use(methodNotAllowed(paths as Record<string, Record<string, unknown>>));
  app.use(noSuchRoute);
  app.use(errorHandler(logger));

  const server = app.listen(config.PORT, config.HOST);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  }).catch(async (error: unknown) => {
    await resources.close();
    throw error;
  });
  // The chat's WebSocket, where the command API runs: it writes the session's exchanges.
  const chatSockets = writes
    ? attachChatWebSocket(server, {
        conversation: chatConversation(gateway),
        tokens: resources.accessTokens,
        sessions: resources.sessions,
        publicUrl: config.PUBLIC_URL,
        maxChars: config.PROMPT_MAX_CHARS,
        authTimeoutMs: config.CHAT_AUTH_TIMEOUT_MS,
        logger,
      })
    : undefined;
  const { port } = server.address() as AddressInfo;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  const listeningUrl = `http://${host}:${port}`;
  resources.publicUrl.listeningAt(listeningUrl);
  const url = resources.publicUrl.base;
  let workers: Workers | undefined;
  if (role === 'all' || role === 'projections') {
    try {
      workers = await startWorkers(resources, logger, url);
    } catch (error) {
      server.close();
      await resources.close();
      throw error;
    }
  }
  logger.info(
    {
      role,
      eventStore: config.EVENT_STORE,
      database: isEmbedded(config)
        ? `embedded ${embeddedKind(config) === 'pglite' ? 'PGlite' : 'PostgreSQL'} in ${config.DATA_DIR}`
        : 'PostgreSQL server',
    },
    `Compliance Ledger ${version} is listening: API ${url}/api/v1${writes ? ` · AI gateway ${url}/gateway/v1` : ''} · docs ${url}/docs · OpenAPI ${url}/openapi.json · health ${url}/health · ready ${url}/ready`,
  );
  return {
    url,
    listeningUrl,
    workers,
    routes: () => routesOf((app as unknown as { router: { stack: unknown[] } }).router.stack),
    async close() {
      // Stop accepting, end idle keep-alive connections now, and give requests in flight a moment to finish.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await chatSockets?.close();
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), 5_000);
      await closed;
      clearTimeout(force);
      await workers?.stop();
      await resources.close();
    },
  };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  let ledger: RunningLedger;
  try {
    ledger = await startLedger(config, logger);
  } catch (error) {
    logger.fatal({ err: error }, 'the ledger could not start');
    process.exitCode = 1;
    return;
  }
  // Log lines are written asynchronously: exit only once the last ones (why we stopped) are out.
  const exit = (code: number): void => logger.flush(() => process.exit(code));
  let stoppingSince: number | undefined;
  const stop = (signal: string): void => {
    if (stoppingSince !== undefined) {
      // One Ctrl-C can reach us twice: from the terminal's process group and relayed by npm. Only a press a moment
      // later means "force".
      if (Date.now() - stoppingSince < 2_000) return;
      logger.warn('stopping now, without waiting');
      exit(1);
      return;
    }
    stoppingSince = Date.now();
    logger.info({ signal }, 'shutting down (press Ctrl-C again to force)');
    ledger
      .close()
      .then(() => {
        logger.info('stopped cleanly');
        exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'error while shutting down');
        exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  await main();
}
