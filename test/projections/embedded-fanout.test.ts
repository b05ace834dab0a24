import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../contract/message-bus.contract.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { startWebhookReceiver } from '../support/receivers.js';
import { needs } from '../support/services.js';

const skip = needs('postgres').skip || needs('redis').skip;

// Without KAFKA_BROKERS the same publisher and consumers meet on the in-process bus; mail goes to DATA_DIR/mail.
describe.skipIf(skip)(`the fan-out without Kafka${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    ledger = await startTestLedger({
      env: {
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        NOTIFY_POLL_MS: '50',
        NOTIFY_MIN_SEVERITY: 'low',
        EVIDENCE_SWEEP_MS: '100',
      },
    });
  });
  afterAll(async () => {
    await ledger?.close();
    await receiver?.close();
  });

  it('delivers webhooks and writes the officer mail to DATA_DIR/mail', async () => {
    const admin = await ledger.signUp();
    const post = <T = Record<string, unknown>>(path: string, body: unknown) =>
      ledger.request<T>('POST', path, { token: admin.accessToken, body });
    const clientId = (
      await post<{ data: { clientId: string } }>('/clients', {
        name: 'Dental Co',
        industry: 'health',
        size: '1-10',
        frameworks: ['gdpr'],
      })
    ).body.data.clientId;
    const aiServiceId = (
      await post<{ data: { aiServiceId: string } }>('/ai-services', {
        name: 'Chat',
        vendor: 'V',
        models: ['m'],
        baaSigned: false,
        dpaSigned: true,
        dataRetentionDays: 0,
      })
    ).body.data.aiServiceId;
    await post(`/clients/${clientId}/ai-services/${aiServiceId}/approve`, { reason: 'DPA signed' });
    const officer = `officer-${Date.now()}@example.com`;
    await post('/users/invite', { email: officer, role: 'compliance_officer', clientId });
    const token = /token=([A-Za-z0-9._-]+)/.exec(ledger.lastMailTo(officer))![1];
    expect(
      (await post('/users/accept-invite', { token, name: 'Olive', password: 'a long enough password' })).status,
    ).toBe(200);
    await post('/webhooks', { url: receiver.url('/hook'), events: ['violation.sensitive-data'], clientId });

    const analysis = await post<{ data: { decision: string } }>('/analyze/prompt', {
      clientId,
      aiServiceId,
      prompt: 'Reply to jane.doe@example.com about her order',
    });
    expect(analysis.body.data.decision).toBe('redact');
    await eventually(() => receiver.to('/hook').length === 1, 'the webhook delivery');
    expect(JSON.parse(receiver.to('/hook')[0]!.body)).toMatchObject({
      specversion: '1.0',
      data: { kind: 'sensitive-data', action: 'redact', severity: 'medium' },
    });
    await eventually(() => /violation for Dental Co/.test(ledger.lastMailTo(officer)), 'the mail file');
    const ready = await fetch(`${ledger.url}/ready`).then(
      (r) => r.json() as Promise<{ checks: Record<string, unknown> }>,
    );
    expect(ready.checks.violationsPublisher).toMatchObject({ status: 'up', bus: 'in-process', backlog: 0 });
  });

  it('records evidence that expired under a submitted assessment as a violation, once, and fans it out', async () => {
    const admin = await ledger.signUp();
    const token = admin.accessToken;
    const post = <T = Record<string, unknown>>(path: string, body: unknown) =>
      ledger.request<T>('POST', path, { token, body });
    const clientId = (
      await post<{ data: { clientId: string } }>('/clients', { name: 'Audit Co', industry: 'finance', size: '1-10' })
    ).body.data.clientId;
    await post('/webhooks', { url: receiver.url('/expired'), events: ['violation.evidence-expired'] });
    const form = new FormData();
    for (const [name, value] of Object.entries({
      clientId,
      title: 'Pen test 2025',
      validFrom: '2025-01-01',
      expiresAt: '2025-06-30T00:00:00Z',
    }))
      form.append(name, value);
    form.append('file', new Blob(['findings: none'], { type: 'text/plain' }), 'pentest.txt');
    const uploaded = (await fetch(`${ledger.url}/api/v1/evidence/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    }).then((r) => r.json())) as { data: { evidenceId: string } };
    const evidenceId = uploaded.data.evidenceId;
    const assessmentId = (
      await post<{ data: { assessmentId: string } }>('/assessments', { clientId, frameworkId: 'soc2', title: 'SOC 2' })
    ).body.data.assessmentId;
    expect(
      (
        await ledger.request('PUT', `/assessments/${assessmentId}/requirements/CC6.1`, {
          token,
          body: { result: 'compliant', evidenceIds: [evidenceId] },
        })
      ).status,
    ).toBe(200);
    // Expired, cited, but not yet submitted: nothing to record.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(receiver.to('/expired')).toHaveLength(0);
    expect((await ledger.request('POST', `/assessments/${assessmentId}/submit`, { token, body: {} })).status).toBe(200);
    await eventually(() => receiver.to('/expired').length === 1, 'the evidence-expired violation');
    expect(JSON.parse(receiver.to('/expired')[0]!.body)).toMatchObject({
      data: {
        kind: 'evidence-expired',
        severity: 'high',
        action: 'warn',
        clientId,
        evidenceId,
        assessmentIds: [assessmentId],
        aiServiceId: null,
        analysisId: null,
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.to('/expired')).toHaveLength(1);
  });

  it('records evidence mapped to a requirement of a submitted assessment that expired, like evidence it cites', async () => {
    const admin = await ledger.signUp();
    const token = admin.accessToken;
    const post = <T = Record<string, unknown>>(path: string, body: unknown) =>
      ledger.request<T>('POST', path, { token, body });
    const clientId = (
      await post<{ data: { clientId: string } }>('/clients', {
        name: 'Mapped Co',
        industry: 'finance',
        size: '1-10',
        frameworks: ['soc2'],
      })
    ).body.data.clientId;
    await post('/webhooks', { url: receiver.url('/mapped-expired'), events: ['violation.evidence-expired'] });
    const form = new FormData();
    for (const [name, value] of Object.entries({
      clientId,
      title: 'Access review 2024',
      validFrom: '2024-01-01',
      expiresAt: '2024-12-31T00:00:00Z',
    }))
      form.append(name, value);
    form.append('file', new Blob(['reviewed: all'], { type: 'text/plain' }), 'review.txt');
    const uploaded = (await fetch(`${ledger.url}/api/v1/evidence/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    }).then((r) => r.json())) as { data: { evidenceId: string } };
    const evidenceId = uploaded.data.evidenceId;
    expect((await post(`/evidence/${evidenceId}/map`, { requirementIds: ['CC6.2'] })).status).toBe(200);
    const assessmentId = (
      await post<{ data: { assessmentId: string } }>('/assessments', { clientId, frameworkId: 'soc2', title: 'SOC 2' })
    ).body.data.assessmentId;
    await ledger.request('PUT', `/assessments/${assessmentId}/requirements/CC6.2`, {
      token,
      body: { result: 'compliant' },
    });
    expect((await ledger.request('POST', `/assessments/${assessmentId}/submit`, { token, body: {} })).status).toBe(200);
    await eventually(() => receiver.to('/mapped-expired').length === 1, 'the evidence-expired violation');
    expect(JSON.parse(receiver.to('/mapped-expired')[0]!.body)).toMatchObject({
      data: { kind: 'evidence-expired', clientId, evidenceId, assessmentIds: [assessmentId] },
    });
  });
});

describe.skipIf(skip)(`the hourly mail digest${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  it('holds officer mail until the hour, then sends one mail with every violation of it', async () => {
    const ledger = await startTestLedger({
      env: { NOTIFY_POLL_MS: '50', NOTIFY_MIN_SEVERITY: 'low', NOTIFY_EMAIL_MODE: 'hourly' },
    });
    try {
      const admin = await ledger.signUp();
      const post = <T = Record<string, unknown>>(path: string, body: unknown) =>
        ledger.request<T>('POST', path, { token: admin.accessToken, body });
      const clientId = (
        await post<{ data: { clientId: string } }>('/clients', { name: 'Digest Co', industry: 'health', size: '1-10' })
      ).body.data.clientId;
      const officer = `officer-${Date.now()}@example.com`;
      await post('/users/invite', { email: officer, role: 'compliance_officer', clientId });
      await post('/users/accept-invite', {
        token: /token=([A-Za-z0-9._-]+)/.exec(ledger.lastMailTo(officer))![1],
        name: 'Olive',
        password: 'a long enough password',
      });
      const unknownService = '00000000-0000-4000-8000-000000000000';
      for (const prompt of ['Summarise the meeting', 'Translate the memo'])
        await post('/analyze/prompt', { clientId, aiServiceId: unknownService, prompt });
      const held = async () =>
        (
          await ledger.sql((db) =>
            sql<{ n: string }>`select count(*)::text as n from notification_outbox where channel = 'email'`.execute(db),
          )
        ).rows[0]!.n;
      await eventually(async () => (await held()) === '2', 'two held mails');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(ledger.lastMailTo(officer)).not.toMatch(/violations? for Digest Co/);
      // The hour comes.
      await ledger.sql((db) =>
        sql`update notification_outbox set next_attempt_at = now() where channel = 'email'`.execute(db),
      );
      await eventually(() => /2 violations for Digest Co/.test(ledger.lastMailTo(officer)), 'the digest');
    } finally {
      await ledger.close();
    }
  });
});
