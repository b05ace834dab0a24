/**
 * What an operation answers is what it declares: a property its schema does not name never goes out (a column a
 * mapper let through stays in), and an answer its schema refuses is a 500 problem, not data the contract does not
 * promise. Through HTTP, on a route mounted from a declaration exactly as the ledger mounts its own.
 */
import express from 'express';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { mountOperations } from '../../infrastructure/http/contract/mount.js';

const Client = z.object({ clientId: z.string(), name: z.string() });

const answers: Record<string, unknown> = {
  'with-a-column-too-many': { data: { clientId: 'c-1', name: 'Clinic', tenantId: 't-secret', sealedKey: 'k' } },
  'of-the-wrong-type': { data: { clientId: 42, name: 'Clinic' } },
};

describe('answers hold to the operation that declares them', () => {
  let url = '';
  let close: () => void = () => {};
  beforeAll(async () => {
    const app = express();
    app.use(
      mountOperations(
        [
          operation({
            operationId: 'readThing',
            method: 'get',
            path: '/things/{kind}',
            tags: ['test'],
            summary: 'A thing',
            access: 'public',
            params: z.object({ kind: z.string() }),
            answers: { 200: { description: 'The thing', schema: z.object({ data: Client }) } },
            handler: (req, res) => void res.status(200).json(answers[req.params.kind]),
          }),
        ],
        { authenticate: (_req, _res, next) => next(), idempotency: () => (_req, _res, next) => next() },
      ),
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  it('drops every property the schema does not name', async () => {
    const response = await fetch(`${url}/things/with-a-column-too-many`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { clientId: 'c-1', name: 'Clinic' } });
  });

  it('answers a 500 problem instead of a body its schema refuses', async () => {
    const response = await fetch(`${url}/things/of-the-wrong-type`);
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = await response.text();
    expect(JSON.parse(body)).toMatchObject({ status: 500, title: 'Internal server error' });
    expect(body).not.toContain('Clinic');
  });
});
