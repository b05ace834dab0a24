import express, { type Router } from 'express';
import { authenticate } from '../infrastructure/http/authentication.js';
import type { Resources } from '../infrastructure/runtime/resources.js';
import { NotificationDirectory } from '../projections/notifications/directory.js';
import { frameworkRoutes } from './frameworks/routes.js';
import { webhookQueries } from './webhooks/routes.js';
import { readModelRoutes } from './read-models/routes.js';
import { reportRoutes } from './reports/routes.js';

export { queryApiPaths, queryApiSchemas } from './openapi.js';

/** The read side, mounted under /api/v1: reference data, read models, history, point-in-time replay and reports. */
export function queryApi(resources: Resources): Router {
  const router = express.Router();
  const authenticated = authenticate(resources.accessTokens, resources.sessions);
  router.use('/frameworks', authenticated, frameworkRoutes());
  router.use(
    readModelRoutes(
      resources.database,
      resources.eventStore,
      resources.vault,
      resources.config.QUERY_WAIT_MS,
      authenticated,
    ),
  );
  router.use(reportRoutes(resources.database, resources.eventStore, resources.config.QUERY_WAIT_MS, authenticated));
  router.use(
    '/webhooks',
    authenticated,
    webhookQueries(resources.database, new NotificationDirectory(resources.eventStore, resources.vault, 0)),
  );
  return router;
}
