import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { PGlite } from '@electric-sql/pglite';
import express from 'express';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { requestLogging } from '../../infrastructure/http/correlation.js';
import { errorHandler } from '../../infrastructure/http/problem.js';
import { createLogger } from '../../infrastructure/logging/logger.js';
import { needs, services } from '../support/services.js';

function capture(format: 'json' | 'pretty') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ format, destination, level: 'debug' }), output: () => lines.join('') };
}

describe('logging', () => {
  it.each([['json' as const], ['pretty' as const]])('redacts secrets, tokens, passwords and prompts (%s)', (format) => {
    const { logger, output } = capture(format);
    logger.info(
      {
        password: 'hunter2-password',
        body: { email: 'a@b.c', password: 'nested-password', refreshToken: 'rt-secret-value' },
        command: { payload: { prompt: 'Patient John Doe SSN 123-45-6789' } },
        req: { headers: { authorization: 'Bearer eyJ.secret.jwt' } },
        webhook: { secret: 'whsec_abc' },
      },
      'something happened',
    );
    const text = output();
    expect(text).toContain('something happened');
    expect(text).toContain('a@b.c');
    for (const leaked of [
      'hunter2-password',
      'nested-password',
      'rt-secret-value',
      '123-45-6789',
      'eyJ.secret.jwt',
      'whsec_abc',
    ]) {
      expect(text).not.toContain(leaked);
    }
    expect(text).toContain('[redacted]');
  });

  it('writes one JSON object a line in json format', () => {
    const { logger, output } = capture('json');
    logger.child({ correlationId: 'c-1' }).warn({ n: 1 }, 'hello');
    const line = JSON.parse(output().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 40, msg: 'hello', n: 1, correlationId: 'c-1' });
  });
});

/** Real database errors whose driver attached the request's data: the query, its parameters, quoted values. */
async function databaseErrors(): Promise<Error[]> {
  const errors: Error[] = [];
  const failing = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (error) {
      errors.push(error as Error);
    }
  };
  const embedded = await PGlite.create();
  try {
    // PGlite attaches the SQL and its bind parameters to the error.
    await failing(() => embedded.query('select $1::jsonb as data', ['{"note":"secret-embedded\\u0000"}']));
    await failing(() => embedded.query('select $1::uuid as id', ['secret-embedded-uuid']));
  } finally {
    await embedded.close();
  }
  if (!needs('postgres').skip) {
    const client = new pg.Client({ connectionString: services.databaseUrl });
    await client.connect();
    try {
      // `where` quotes the JSON; the message quotes a value that is no uuid; `detail` holds a duplicate key.
      await failing(() => client.query('select $1::jsonb as data', ['{"note":"secret-server\\u0000"}']));
      await failing(() => client.query('select $1::uuid as id', ['secret-server-uuid']));
      await client.query('create temporary table accounts (email text primary key)');
      await client.query('insert into accounts values ($1)', ['secret@example.com']);
      await failing(() => client.query('insert into accounts values ($1)', ['secret@example.com']));
    } finally {
      await client.end();
    }
  }
  return errors;
}

describe('logging database errors', () => {
  it('writes their SQLSTATE and names, never the SQL, bind parameters or quoted values', async () => {
    const errors = await databaseErrors();
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.some((e) => 'params' in e)).toBe(true); // what PGlite attaches, to be dropped

    // Through the logger itself, and through a request's logger (pino-http brings its own serialisers).
    const { logger, output } = capture('json');
    for (const error of errors) logger.error({ err: error }, 'query failed');
    const app = express();
    app.use(requestLogging(logger));
    app.get('/fail/:n', (req) => {
      throw errors[Number(req.params.n)];
    });
    app.use(errorHandler(logger));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      for (let n = 0; n < errors.length; n++) {
        const response = await fetch(`http://127.0.0.1:${port}/fail/${n}`);
        expect(response.status).toBe(500);
      }
    } finally {
      server.close();
    }

    const lines = output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; err?: Record<string, unknown> });
    const logged = lines.filter((line) => line.err?.severity === 'ERROR');
    expect(logged.length).toBeGreaterThanOrEqual(errors.length * 2); // once by the logger, once per request at least
    for (const line of logged) {
      expect(line.err).toMatchObject({
        code: expect.stringMatching(/^(22P02|22P05|23505)$/),
        stack: expect.any(String),
      });
    }
    expect(logged.some((line) => line.err!.constraint === 'accounts_pkey') || needs('postgres').skip).toBe(true);
    const text = output();
    for (const leaked of ['secret', 'select', '$1', 'insert into', '"params"', '"where"', '"detail"'])
      expect(text).not.toContain(leaked);
  });
});
