import express, { type Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { z } from 'zod';
import { operation } from './contract/operation.js';
import type { OpenApiDocument } from './openapi.js';
import { checkReadiness, Readiness, type ReadinessCheck } from './readiness.js';
import { contentSecurityPolicy, inlineStyleSources } from './security-headers.js';

const Health = z.object({ status: z.literal('ok'), version: z.string().optional() }).meta({ id: 'Health' });

/**
 * What swagger-ui-express's page needs, found by loading it in Chromium under this policy
 * (test/api/security-headers.test.ts): its scripts and stylesheet from /docs itself (the page has no inline script),
 * its inline <style> blocks and the style attribute of its hidden SVG sprite, by hash, images as data: URLs (the
 * stylesheet's icons), and requests to the API for "Try it out". Swagger UI's other styles are set through the DOM,
 * which no policy governs.
 */
function docsPolicy(page: string, publicUrl: string | undefined): Record<string, string[]> {
  const styles = inlineStyleSources(page);
  return {
    'default-src': ["'none'"],
    'script-src': ["'self'"],
    'style-src': ["'self'", ...styles.elements],
    'style-src-elem': ["'self'", ...styles.elements],
    'style-src-attr': styles.attributes,
    'img-src': ["'self'", 'data:'],
    'connect-src': ["'self'", ...(publicUrl ? [new URL(publicUrl).origin] : [])],
    'form-action': ["'self'"],
  };
}

/** Liveness and readiness, at the root (outside /api/v1, where probes and load balancers look for them). */
export function operationalOperations(options: { version: string; readiness: readonly ReadinessCheck[] }) {
  return [
    operation({
      operationId: 'health',
      method: 'get',
      path: '/health',
      tags: ['operations'],
      summary: 'Liveness: the process is up',
      access: 'public',
      answers: { 200: { description: 'Alive', schema: Health } },
      handler(_req, res) {
        res.json({ status: 'ok', version: options.version });
      },
    }),
    operation({
      operationId: 'ready',
      method: 'get',
      path: '/ready',
      tags: ['operations'],
      summary: 'Readiness: every dependency answers',
      access: 'public',
      answers: {
        200: { description: 'Ready', schema: Readiness },
        503: { description: 'A dependency is down', schema: Readiness },
      },
      async handler(_req, res) {
        const readiness = await checkReadiness(options.readiness);
        res.status(readiness.status === 'ready' ? 200 : 503).json(readiness);
      },
    }),
  ];
}

/** /openapi.json and the human-readable docs at /docs. */
export function operationsRouter(options: { document: OpenApiDocument; publicUrl?: string }): Router {
  const router = express.Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(options.document);
  });
  // The base layout, without the top bar: that bar holds only Swagger's logo, an SVG with a <style> of its own.
  const docs = { customSiteTitle: 'Compliance Ledger API', swaggerOptions: { layout: 'BaseLayout' } };
  router.use(
    '/docs',
    contentSecurityPolicy(docsPolicy(swaggerUi.generateHTML(options.document, docs), options.publicUrl)),
    // serveFiles, not serve: serve hands out whichever document the process set up last (tests run several ledgers).
    swaggerUi.serveFiles(options.document, docs),
    swaggerUi.setup(options.document, docs),
  );
  return router;
}
