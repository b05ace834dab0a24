/**
 * What reaches the disk on the embedded default: a prompt's text, a webhook's secret, a gateway key and an AI
 * provider's API key never do, with or without an Idempotency-Key. The whole DATA_DIR is searched byte for byte after
 * the ledger has stopped (so the embedded database has written everything out): its database files (the events, the
 * idempotency store, the read models), mail, blobs, keys. So are the ledger's log lines, at its most verbose level.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { createClient } from '../support/tenants.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('nothing of a prompt or a secret stays behind in DATA_DIR or the logs', () => {
  let ledger: TestLedger;
  // Words that no detector flags, so that they stand in the redacted prompt too.
  const markers = [`Quillfeather${randomUUID().slice(0, 8)}`, `Marrowbank${randomUUID().slice(0, 8)}`];
  let secret: string;
  /** The random part of a gateway key (its prefix names the tenant and the key, which may well be stored). */
  let gatewayKey: string;
  const providerKey = `sk-disk-${randomUUID()}`;
  let files: string[];

  beforeAll(async () => {
    ledger = await startTestLedger({
      env: { DATABASE_URL: '', REDIS_URL: '', LOG_LEVEL: 'silent' },
      captureLogs: true,
    });
    const admin = await ledger.signUp();
    const clientId = await createClient(ledger, admin.accessToken, 'Disk Clinic');
    const { aiServiceId } = (
      await ledger.request<{ data: { aiServiceId: string } }>('POST', '/ai-services', {
        token: admin.accessToken,
        body: { name: 'Chat', vendor: 'V', models: ['m'], baaSigned: true, dpaSigned: true, dataRetentionDays: 0 },
      })
    ).body.data;
    await ledger.request('POST', `/clients/${clientId}/ai-services/${aiServiceId}/approve`, {
      token: admin.accessToken,
      body: { reason: 'ok' },
    });
    for (const [i, marker] of markers.entries()) {
      const answer = await ledger.request<{ data: { redactedPrompt: string } }>('POST', '/analyze/prompt', {
        token: admin.accessToken,
        headers: i === 0 ? { 'Idempotency-Key': `disk-${randomUUID()}` } : {},
        body: { clientId, aiServiceId, prompt: `Ask ${marker} about card 4111 1111 1111 1111 today` },
      });
      expect(answer.status).toBe(201);
      expect(answer.body.data.redactedPrompt).toContain(marker);
    }
    const webhook = await ledger.request<{ data: { secret: string } }>('POST', '/webhooks', {
      token: admin.accessToken,
      headers: { 'Idempotency-Key': `disk-hook-${randomUUID()}` },
      body: { url: 'https://hooks.example.com/ledger', events: ['violation.*'] },
    });
    secret = webhook.body.data.secret.slice('whsec_'.length);
    const issued = await ledger.request<{ data: { key: string } }>('POST', `/clients/${clientId}/gateway-keys`, {
      token: admin.accessToken,
      headers: { 'Idempotency-Key': `disk-key-${randomUUID()}` },
      body: { name: 'Disk key', userRef: 'disk-user' },
    });
    expect(issued.status).toBe(201);
    gatewayKey = issued.body.data.key.slice(-43);
    const provider = await ledger.request('PUT', `/ai-services/${aiServiceId}/provider`, {
      token: admin.accessToken,
      headers: { 'Idempotency-Key': `disk-provider-${randomUUID()}` },
      body: { baseUrl: 'https://llm.example.com/v1', apiKey: providerKey },
    });
    expect(provider.status).toBe(200);
    await ledger.stop();
    files = filesUnder(ledger.dataDir);
  });
  afterAll(() => ledger?.close());

  it('searches the embedded database files among the rest', () => {
    expect(files.some((file) => file.includes(`${join(ledger.dataDir, 'postgres', 'data')}`))).toBe(true);
    expect(files.length).toBeGreaterThan(100);
  });

  it('finds neither prompt nor secret nor key in any file', () => {
    const needles = [...markers, secret, gatewayKey, providerKey].map((text) => Buffer.from(text, 'utf8'));
    const found = files.filter((file) => {
      const bytes = readFileSync(file);
      return needles.some((needle) => bytes.includes(needle));
    });
    expect(found.map((file) => file.slice(ledger.dataDir.length))).toEqual([]);
  });

  it('finds no prompt, secret or key in the log lines', () => {
    const logs = ledger.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const needle of [...markers, secret, gatewayKey, providerKey]) expect(logs).not.toContain(needle);
  });
});
