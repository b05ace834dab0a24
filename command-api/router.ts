import express, { type Router } from 'express';
import type { Resources } from '../infrastructure/runtime/resources.js';

/**
 * The write side, mounted under /api/v1: every route validates a command, loads the aggregate's stream, decides with
 * a pure decider from domain/ and appends with the revision it read. Command routes arrive with the command API issue.
 */
export function commandApi(_resources: Resources): Router {
  const router = express.Router();
  // Bodies are small JSON documents; anything bigger is refused with a 413 problem before it is parsed.
  router.use(express.json({ limit: '256kb', strict: true, type: ['application/json', 'application/*+json'] }));
  return router;
}

/** Paths this API adds to the OpenAPI document. */
export const commandApiPaths: Record<string, unknown> = {};
