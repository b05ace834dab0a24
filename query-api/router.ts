import express, { type Router } from 'express';
import { authenticate } from '../infrastructure/http/authentication.js';
import type { Resources } from '../infrastructure/runtime/resources.js';
import { frameworkRoutes } from './frameworks/routes.js';

export { queryApiPaths, queryApiSchemas } from './openapi.js';

/** The read side, mounted under /api/v1: reference data now; read models, history and point-in-time replay next. */
export function queryApi(resources: Resources): Router {
  const router = express.Router();
  router.use('/frameworks', authenticate(resources.accessTokens, resources.sessions), frameworkRoutes());
  return router;
}
