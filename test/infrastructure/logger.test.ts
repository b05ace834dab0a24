import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../infrastructure/logging/logger.js';

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
