import express, { type Router } from 'express';
import { authenticate } from '../infrastructure/http/authentication.js';
import type { Resources } from '../infrastructure/runtime/resources.js';
import { historyRoutes } from './history/routes.js';
import { readModelRoutes } from './read-models/routes.js';
import { mspSummaryRoutes } from './msp/summary.js';

export { queryApiPaths } from './openapi.js';

/** The read side, mounted under /api/v1: reference data, read models, history, point-in-time replay and reports. */
export function queryApi(resources: Resources): Router {
  const router = express.Router();
  const authenticated = authenticate(resources.accessTokens, resources.sessions);
  router.use('/history', authenticated, historyRoutes(resources.database, resources.eventStore, resources.vault));
  router.use(
    readModelRoutes(
      resources.database,
      resources.eventStore,
      resources.vault,
      resources.config.QUERY_WAIT_MS,
      authenticated,
    ),
  );
  router.use(mspSummaryRoutes(resources.database, resources.eventStore, resources.config.QUERY_WAIT_MS, authenticated));
  return router;
}
