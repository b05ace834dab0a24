import express, { type Router } from 'express';
import { FRAMEWORKS, FRAMEWORK_IDS, frameworkSummary, type FrameworkId } from '../../domain/frameworks/index.js';
import { requirePermission } from '../../infrastructure/http/authentication.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';

/** Mounted at /frameworks: the catalogs, served from the versioned data in domain/frameworks. */
export function frameworkRoutes(): Router {
  const router = express.Router();
  const summaries = FRAMEWORK_IDS.map((id) => frameworkSummary(FRAMEWORKS[id]));

  router.get('/', requirePermission('framework:read'), (_req, res) => {
    res.json({ data: summaries, meta: { total: summaries.length, page: 1, size: summaries.length, pages: 1 } });
  });

  router.get('/:id', requirePermission('framework:read'), (req, res) => {
    const catalog = FRAMEWORKS[req.params.id as FrameworkId];
    if (!catalog)
      throw new HttpProblem(
        404,
        'not-found',
        'Not found',
        `No framework ${req.params.id}; see GET /api/v1/frameworks.`,
      );
    res.json({ data: { ...frameworkSummary(catalog), requirements: catalog.requirements }, meta: {} });
  });
  return router;
}
