import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

/**
 * Served, but not operations of the API: the documents themselves, the metrics scrape, and the OpenAI-compatible
 * gateway (OpenAI's API, outside /api/v1: test/gateway covers it).
 */
const NOT_OPERATIONS = new Set([
  'get /openapi.json',
  'get /docs',
  'get /metrics',
  'get /schemas/violations.v1.json',
  'post /gateway/v1/chat/completions',
  'post /gateway/v1/embeddings',
  'get /gateway/v1/models',
  'get /gateway/v1/models/{model}',
]);

/** Every route the ledger serves is an operation of its OpenAPI document, and every operation is served. */
describe.skipIf(skip)(`routes and document${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger();
  });
  afterAll(() => ledger?.close());

  it('agree, one to one', async () => {
    const document = (await (await fetch(`${ledger.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(document.paths)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`))
      .sort();
    const served = [
      ...new Set(
        ledger
          .routes()
          .map(({ method, path }) => `${method} ${path.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/(.)\/$/, '$1')}`)
          .filter((route) => !NOT_OPERATIONS.has(route)),
      ),
    ].sort();
    expect(served).toEqual(documented);
  });
});
