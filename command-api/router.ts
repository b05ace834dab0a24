import express, { type Router } from 'express';
import { authenticate } from '../infrastructure/http/authentication.js';
import { idempotency } from '../infrastructure/http/idempotency.js';
import type { Resources } from '../infrastructure/runtime/resources.js';
import { aiServiceRoutes, clientAiRoutes } from './ai-governance/routes.js';
import { assessmentRoutes } from './assessments/routes.js';
import { policyRoutes } from './policies/routes.js';
import { evidenceRoutes } from './evidence/routes.js';
import { analysisAnswer, promptAnalysisRoutes } from './prompt-analysis/routes.js';
import { webhookAnswer, webhookRoutes } from './webhooks/routes.js';
import type { CommandHandler } from './http/command-handler.js';

export { commandApiPaths } from './openapi.js';

/**
 * The write side, mounted under /api/v1: every route validates a command, loads the aggregate's stream, decides with
 * a pure decider from domain/ and appends with the revision it read.
 */
export function commandApi(resources: Resources, handler: CommandHandler): Router {
  const router = express.Router();
  const digest = (tenantId: string, material: string) => resources.tenantHash(tenantId, 'idempotency', material);
  const keys = idempotency(resources.database, digest);

  // Authentication is mounted per resource, so that an unknown path is a 404 rather than a 401. Idempotency comes
  // after it: stored answers belong to the tenant and user they were made for.
  const authenticated = authenticate(resources.accessTokens, resources.sessions);
  router.use('/clients', authenticated, keys, clientAiRoutes(handler));
  router.use('/ai-services', authenticated, keys, aiServiceRoutes(handler));
  router.use('/policies', authenticated, keys, policyRoutes(handler, resources.policyDrafter));
  router.use('/assessments', authenticated, keys, assessmentRoutes(handler));
  router.use(
    '/evidence',
    authenticated,
    keys,
    evidenceRoutes(handler, resources.blobs, { maxBytes: resources.config.EVIDENCE_MAX_BYTES }),
  );
  router.use(
    '/analyze',
    authenticated,
    idempotency(resources.database, digest, analysisAnswer),
    promptAnalysisRoutes(resources, handler),
  );
  router.use(
    '/webhooks',
    authenticated,
    idempotency(resources.database, digest, webhookAnswer),
    webhookRoutes(handler, resources.webhookGuard, resources.vault),
  );
  return router;
}
