/**
 * What an outside attack of the running ledger found after the first round of fixes: one request that ended the
 * process for every tenant, numbers too large for the database, and input that was taken without a word.
 */
import { request as httpRequest } from 'node:http';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearStaging } from '../../infrastructure/blobs/blob-store.js';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { createClient, type SignedUp } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

/** Sends a body exactly as given, with a Content-Length that matches it. */
function rawPost(ledger: TestLedger, path: string, headers: Record<string, string>, body: string) {
  const url = new URL(`${ledger.url}/api/v1${path}`);
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe.skipIf(skip)(`hostile input from an outside attack${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: SignedUp;
  let clientId: string;

  beforeAll(async () => {
    ledger = await startTestLedger();
    admin = await ledger.signUp();
    clientId = await createClient(ledger, admin.accessToken, 'Hostile Input Clinic');
  });
  afterAll(() => ledger?.close());

  const staged = () =>
    readdirSync(join(ledger.dataDir, 'blobs', 'staging'), { withFileTypes: true }).filter((f) => f.isFile());

  it('survives an upload whose body ends inside the file, answers 400 and keeps nothing staged', async () => {
    const boundary = 'X';
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="clientId"\r\n\r\n${clientId}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\n`;
    const answer = await rawPost(
      ledger,
      '/evidence/upload',
      { authorization: `Bearer ${admin.accessToken}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
    );
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toMatchObject({ type: expect.stringMatching(/malformed-upload$/) });
    expect((await fetch(`${ledger.url}/health`)).status).toBe(200);
    expect(staged()).toEqual([]);
  });

  it('clears staged files a process that died mid-upload left behind, and only those', async () => {
    const staging = join(ledger.dataDir, 'blobs', 'staging-test');
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, 'left-behind'), 'x');
    writeFileSync(join(staging, 'in-flight'), 'y');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(join(staging, 'left-behind'), twoHoursAgo, twoHoursAgo);
    expect(await clearStaging(staging, 3600_000)).toBe(1);
    expect(readdirSync(staging)).toEqual(['in-flight']);
  });

  it('refuses a multipart field it does not know, as JSON bodies refuse unknown keys', async () => {
    const form = new FormData();
    for (const [name, value] of Object.entries({
      clientId,
      title: 'Review',
      validFrom: '2026-01-01',
      expiresAt: '2030-01-01',
      extra: 'unknown',
    }))
      form.append(name, value);
    form.append('file', new Blob(['minutes'], { type: 'text/plain' }), 'minutes.txt');
    const response = await fetch(`${ledger.url}/api/v1/evidence/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.accessToken}` },
      body: form,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ errors: [{ field: 'extra' }] });
  });

  it('keeps a file name written in UTF-8 as it was written', async () => {
    const form = new FormData();
    for (const [name, value] of Object.entries({
      clientId,
      title: 'Bericht',
      validFrom: '2026-01-01',
      expiresAt: '2030-01-01',
    }))
      form.append(name, value);
    form.append('file', new Blob(['Prüfung bestanden'], { type: 'text/plain' }), 'Prüfbericht.txt');
    const response = await fetch(`${ledger.url}/api/v1/evidence/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.accessToken}` },
      body: form,
    });
    expect(response.status).toBe(201);
    const { evidenceId } = ((await response.json()) as { data: { evidenceId: string } }).data;
    const download = await fetch(`${ledger.url}/api/v1/evidence/${evidenceId}/content`, {
      headers: { authorization: `Bearer ${admin.accessToken}` },
    });
    expect(download.headers.get('content-disposition')).toContain(`filename*=UTF-8''Pr%C3%BCfbericht.txt`);
  });

  it('answers numbers too large for the database with a 400 naming the parameter', async () => {
    const get = (path: string, headers: Record<string, string> = {}) =>
      ledger.request('GET', path, { token: admin.accessToken, headers });
    const huge = '99999999999999999999-99999999999999999999';
    for (const [path, field] of [
      ['/clients?page=1e308', 'page'],
      ['/clients?page=99999999999999999999', 'page'],
      [`/clients/${clientId}?asOf=${huge}`, 'asOf'],
      [`/history/events?after=${huge}`, 'after'],
    ] as const) {
      const answer = await get(path);
      expect(answer.status, path).toBe(400);
      expect(JSON.stringify(answer.body), path).toContain(field);
    }
    expect((await get('/clients', { 'X-Min-Position': huge })).status).toBe(400);
  });

  it('refuses a webhook URL with line breaks or spaces in it, rather than store one thing and call another', async () => {
    for (const url of [
      'https://example.com/x\r\nHost: 127.0.0.1',
      'https://example.com/a b',
      'https://example.com/\t',
    ]) {
      const answer = await ledger.request('POST', '/webhooks', {
        token: admin.accessToken,
        body: { url, events: ['violation.*'] },
      });
      expect(answer.status, JSON.stringify(url)).toBe(422);
      expect(answer.body).toMatchObject({ errors: [{ field: 'url' }] });
    }
  });
});
