import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

describe.skipIf(skip)(`validation problems${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger();
  });
  afterAll(() => ledger?.close());

  async function login(body: unknown) {
    const response = await fetch(`${ledger.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      size: text.length,
      problem: JSON.parse(text) as { detail: string; errors: Array<{ field: string; message: string }> },
    };
  }
  const unknownKeys = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 1]));

  it('list the first 20 errors and count the rest', async () => {
    const body = unknownKeys(1_000);
    expect(JSON.stringify(body).length).toBeLessThan(16 * 1024); // small enough to be told every error
    const { status, size, problem } = await login(body);
    expect(status).toBe(400);
    expect(size).toBeLessThan(5_000);
    expect(problem.errors).toHaveLength(20);
    expect(problem.detail).toMatch(/; and 982 more errors$/); // 1,000 unknown keys, email and password missing
  });

  it('answer a body of 20,000 unknown keys without token in a small answer', async () => {
    const body = unknownKeys(20_000);
    expect(JSON.stringify(body).length).toBeGreaterThan(200_000); // under the 256 kB limit, so it is validated
    const { status, size, problem } = await login(body);
    expect(status).toBe(400);
    expect(size).toBeLessThan(5_000); // it was 2.2 MB: every error, twice
    expect(problem.errors.length).toBeGreaterThan(0);
  });

  it('still list every error when there are few', async () => {
    const answer = await ledger.request<{ detail: string; errors: Array<{ field: string }> }>('POST', '/auth/login', {
      body: { email: 'not an email', extra: true },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((e) => e.field).sort()).toEqual(['email', 'extra', 'password']);
    expect(answer.body.detail).not.toMatch(/more errors/);
  });
});
