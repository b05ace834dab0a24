import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

/** What PostgreSQL text and jsonb cannot hold: U+0000, and a UTF-16 surrogate without its pair. */
const UNSTORABLE = [
  ['NUL', 'Acme\u0000Clinic'],
  ['a lone high surrogate', 'Acme\ud800'],
  ['a lone low surrogate', '\udc00Acme'],
] as const;

describe.skipIf(skip)(`text PostgreSQL cannot store${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let token: string;
  let clientId: string;
  let assessmentId: string;

  beforeAll(async () => {
    ledger = await startTestLedger({ captureLogs: true });
    token = (await ledger.signUp()).accessToken;
    clientId = (
      await ledger.request<{ data: { clientId: string } }>('POST', '/clients', {
        token,
        body: { name: 'Acme', industry: 'health', size: '1-10' },
      })
    ).body.data.clientId;
    assessmentId = (
      await ledger.request<{ data: { assessmentId: string } }>('POST', '/assessments', {
        token,
        body: { clientId, frameworkId: 'soc2', title: 'SOC 2 readiness' },
      })
    ).body.data.assessmentId;
  });
  afterAll(() => ledger?.close());

  /**
   * Sends a request and checks that it is refused with a 400 naming the field, and that nothing was appended but,
   * for a refusal inside an authenticated route, the CommandRefused of the audit trail (which names the field only).
   */
  async function expectRefused(send: () => Promise<{ status: number; body: unknown }>, field: string) {
    const before = (await ledger.storedEvents()).length;
    const answer = await send();
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      type: 'https://compliance-ledger.dev/problems/validation',
      errors: [{ field, message: expect.stringMatching(/NUL|surrogate/) }],
    });
    const appended = (await ledger.storedEvents()).slice(before);
    expect(appended.filter((event) => event.type !== 'CommandRefused')).toEqual([]);
  }

  it.each(UNSTORABLE)('refuses %s in a JSON body field, at any depth, by name', async (_, text) => {
    await expectRefused(
      () => ledger.request('POST', '/clients', { token, body: { name: text, industry: 'health', size: '1-10' } }),
      'name',
    );
    await expectRefused(
      () =>
        ledger.request('POST', '/policies/generate', {
          token,
          body: {
            clientId,
            frameworkId: 'soc2',
            companyContext: {
              name: 'Acme',
              industry: 'health',
              size: '1-10',
              dataTypes: ['PHI', text],
              aiTools: ['ChatGPT'],
              jurisdictions: ['US'],
            },
          },
        }),
      'companyContext.dataTypes.1',
    );
    await expectRefused(
      () =>
        ledger.request('PUT', `/clients/${clientId}/ai-policy`, {
          token,
          body: {
            rules: [
              { entity: 'US_SSN', minScore: 0.5, action: 'block' },
              { entity: text, minScore: 0.5, action: 'warn' },
            ],
            unapprovedService: 'block',
          },
        }),
      'rules.1.entity',
    );
    // The raw JSON escape, as a client that does not go through JSON.stringify may send it.
    const escaped = JSON.stringify(text).slice(1, -1);
    await expectRefused(
      () =>
        ledger.request('POST', '/clients', {
          token,
          rawBody: `{"name":"${escaped}","industry":"health","size":"1-10"}`,
        }),
      'name',
    );
  });

  it('refuses NUL in a query parameter and a path parameter, by name', async () => {
    for (const [path, field] of [
      ['/clients?q=Ac%00me', 'q'],
      ['/evidence?requirementId=CC6.1%00', 'requirementId'],
      ['/audit?actorId=%00', 'actorId'],
      ['/history/events?type=ClientRegistered%00', 'type'],
      ['/history/streams/a%00b', 'streamId'],
    ] as const) {
      const answer = await ledger.request('GET', path, { token });
      expect(answer.status, path).toBe(400);
      expect(answer.body, path).toMatchObject({ errors: [{ field }] });
    }
    await expectRefused(
      () =>
        ledger.request('PUT', `/assessments/${assessmentId}/requirements/CC6.1%00`, {
          token,
          body: { result: 'compliant' },
        }),
      'requirementId',
    );
  });

  it('refuses NUL and lone surrogates in multipart fields of an evidence upload', async () => {
    const upload =
      (body: FormData | Buffer, headers: Record<string, string> = {}) =>
      async () => {
        const response = await fetch(`${ledger.url}/api/v1/evidence/upload`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, ...headers },
          body,
        });
        return { status: response.status, body: (await response.json()) as unknown };
      };
    const form = (fields: Record<string, string>) => {
      const data = new FormData();
      for (const [name, value] of Object.entries({
        clientId,
        title: 'Access review',
        validFrom: '2026-01-01',
        expiresAt: '2027-01-01',
        ...fields,
      }))
        data.append(name, value);
      data.append('file', new Blob(['an access review\n'], { type: 'text/plain' }), 'review.txt');
      return data;
    };
    await expectRefused(upload(form({ title: 'Access\u0000review' })), 'title');
    await expectRefused(upload(form({ validFrom: '2026-01-01\u0000' })), 'validFrom');

    // FormData cannot carry a lone surrogate (it is sent as UTF-8), but a part may declare UTF-16.
    const boundary = 'unstorable-boundary';
    const part = (name: string, value: Buffer | string, charset?: string) =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n` +
            (charset ? `Content-Type: text/plain; charset=${charset}\r\n` : '') +
            '\r\n',
        ),
        Buffer.from(value),
        Buffer.from('\r\n'),
      ]);
    const body = Buffer.concat([
      part('clientId', clientId),
      // "ā" and an unpaired high surrogate, with no zero byte: read as UTF-8 these bytes would be storable.
      part('title', Buffer.from([0x01, 0x01, 0x01, 0xd8]), 'utf-16le'),
      part('validFrom', '2026-01-01'),
      part('expiresAt', '2027-01-01'),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="review.txt"\r\n` +
          `Content-Type: text/plain\r\n\r\nan access review\n\r\n--${boundary}--\r\n`,
      ),
    ]);
    await expectRefused(upload(body, { 'content-type': `multipart/form-data; boundary=${boundary}` }), 'title');
  });

  it('names a field whose own name holds such a character printably, and logs no error', async () => {
    const answer = await ledger.request<{ errors: Array<{ field: string }> }>('POST', '/clients', {
      token,
      body: { name: 'Acme', industry: 'health', size: '1-10', 'bad\u0000key': 1 },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((e) => e.field).join()).not.toContain('\u0000');
    // None of the requests above became a 500: no error was logged, with or without their values.
    expect(ledger.logs()).not.toContain('"level":50');
  });
});
