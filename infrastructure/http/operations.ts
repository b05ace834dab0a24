import express, { type Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { OpenApiDocument } from './openapi.js';
import { contentSecurityPolicy, inlineStyleSources } from './security-headers.js';
import { checkReadiness, type ReadinessCheck } from './readiness.js';

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

/** /health, /ready, /openapi.json and the human-readable docs at /docs. */
export function operationsRouter(options: {
  version: string;
  document: OpenApiDocument;
  readiness: readonly ReadinessCheck[];
  publicUrl?: string;
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
