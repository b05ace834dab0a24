import express, { type Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { OpenApiDocument } from './openapi.js';
import { checkReadiness, type ReadinessCheck } from './readiness.js';

/** /health, /ready, /openapi.json and the human-readable docs at /docs. */
export function operationsRouter(options: {
  version: string;
  document: OpenApiDocument;
  readiness: readonly ReadinessCheck[];
}): Router {
  const router = express.Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok', version: options.version });
  });
  router.get('/ready', async (_req, res) => {
    const readiness = await checkReadiness(options.readiness);
    res.status(readiness.status === 'ready' ? 200 : 503).json(readiness);
  });
  router.get('/openapi.json', (_req, res) => {
    res.json(options.document);
  });
  router.use('/docs', swaggerUi.serve, swaggerUi.setup(options.document, { customSiteTitle: 'Compliance Ledger API' }));
  return router;
}
