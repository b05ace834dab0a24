import { createConfig, lintFromString } from '@redocly/openapi-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

/** The OpenAPI document as served passes Redocly's recommended rules, with no error and no warning. */
describe.skipIf(skip)(`/openapi.json${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger();
  });
  afterAll(() => ledger?.close());

  it("passes Redocly's recommended rule set", async () => {
    const source = await (await fetch(`${ledger.url}/openapi.json`)).text();
    const problems = await lintFromString({
      source,
      absoluteRef: `${ledger.url}/openapi.json`,
      config: await createConfig({ extends: ['recommended'] }),
    });
    const found = problems.map(
      (problem) => `${problem.severity} ${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer ?? ''}`,
    );
    expect(found).toEqual([]);
  });
});
