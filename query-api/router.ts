import express, { type Router } from 'express';
import type { Resources } from '../infrastructure/runtime/resources.js';

/** The read side, mounted under /api/v1: read models, history and point-in-time replay. Routes arrive with the query API issue. */
export function queryApi(_resources: Resources): Router {
  return express.Router();
}

/** Paths this API adds to the OpenAPI document. */
export const queryApiPaths: Record<string, unknown> = {};
