import express, { type Router } from 'express';
import { authenticate } from '../infrastructure/http/authentication.js';
import { idempotency } from '../infrastructure/http/idempotency.js';
import type { Resources } from '../infrastructure/runtime/resources.js';
import { aiServiceRoutes, clientAiRoutes } from './ai-governance/routes.js';
import { assessmentRoutes } from './assessments/routes.js';
import { authRoutes } from './auth/routes.js';
import { clientRoutes } from './clients/routes.js';
import { policyRoutes } from './policies/routes.js';
import { invitationAcceptance, userRoutes } from './users/routes.js';
import { evidenceRoutes } from './evidence/routes.js';
import { promptAnalysisRoutes } from './prompt-analysis/routes.js';
import { webhookRoutes } from './webhooks/routes.js';
import { CommandHandler } from './http/command-handler.js';
import { recordRefusals } from './http/refusals.js';
import type { Logger } from '../infrastructure/logging/logger.js';

export { commandApiPaths } from './openapi.js';

/**
 * The write side, mounted under /api/v1: every route validates a command, loads the aggregate's stream, decides with
 * a pure decider from domain/ and appends with the revision it read.
 */
export function commandApi(resources: Resources, logger: Logger): Router {
  const router = express.Router();
  router.use(recordRefusals(resources.eventStore, logger));
  const handler = new CommandHandler(resources.eventStore, resources.vault);
  // Token-issuing routes honour Idempotency-Key but never store their answers: tokens are not written to disk.
  const keys = idempotency(resources.database, {
    skipStorage: (path) => path === '/auth/login' || path === '/auth/refresh',
  });

  router.use(keys, authRoutes(resources, handler), invitationAcceptance(resources, handler));
  // Authentication is mounted per resource, so that an unknown path is a 404 rather than a 401.
  const authenticated = authenticate(resources.accessTokens, resources.sessions);
  router.use('/clients', authenticated, keys, clientRoutes(handler), clientAiRoutes(handler));
  router.use('/ai-services', authenticated, keys, aiServiceRoutes(handler));
  router.use('/policies', authenticated, keys, policyRoutes(handler, resources.policyDrafter));
  router.use('/assessments', authenticated, keys, assessmentRoutes(handler));
  router.use(
    '/evidence',
    authenticated,
    keys,
    evidenceRoutes(handler, resources.blobs, { maxBytes: resources.config.EVIDENCE_MAX_BYTES }),
  );
  router.use('/users', authenticated, keys, userRoutes(resources, handler));
  router.use('/analyze', authenticated, keys, promptAnalysisRoutes(resources, handler));
  router.use('/webhooks', authenticated, keys, webhookRoutes(handler, resources.webhookGuard, resources.vault));
  return router;
}
