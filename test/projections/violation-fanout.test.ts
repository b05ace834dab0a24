import { spawn } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { Kafka, logLevel } from 'kafkajs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../contract/message-bus.contract.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { readTopic, startSmtpReceiver, startWebhookReceiver } from '../support/receivers.js';
import { needs, services, uniqueName } from '../support/services.js';

const skip = needs('postgres').skip || needs('redis').skip || needs('kafka').skip;

/** Standard Webhooks verification written out from the spec, as a receiver would: not the ledger's own code. */
function verifies(secret: string, headers: Record<string, unknown>, body: string): boolean {
  const id = String(headers['webhook-id']);
  const timestamp = String(headers['webhook-timestamp']);
  const expected = `v1,${createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64'))
    .update(`${id}.${timestamp}.${body}`)
    .digest('base64')}`;
  const given = String(headers['webhook-signature']);
  return (
    given.length === expected.length &&
    timingSafeEqual(Buffer.from(given), Buffer.from(expected)) &&
    Math.abs(Date.now() / 1000 - Number(timestamp)) < 300
  );
}

describe.skipIf(skip)(
  `violation fan-out to Kafka, webhooks and mail${skip ? ' (skipped: needs postgres, redis and kafka)' : ''}`,
  () => {
    const topic = uniqueName('violations');
    let ledger: TestLedger;
    let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
    let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
    let admin: Awaited<ReturnType<TestLedger['signUp']>>;
    let clientId: string;
    let aiServiceId: string;
    const officer = `officer-${Date.now()}@example.com`;
    const secrets: Record<string, string> = {};
    const webhookIds: Record<string, string> = {};

    const post = <T = Record<string, unknown>>(path: string, body: unknown, token = admin.accessToken) =>
      ledger.request<T>('POST', path, { token, body });
    const analyze = async (prompt: string) => {
      const answer = await post<{ data: { analysisId: string; decision: string } }>('/analyze/prompt', {
        clientId,
        aiServiceId,
        prompt,
      });
      expect(answer.status).toBe(201);
      return answer.body.data;
    };

    beforeAll(async () => {
      smtp = await startSmtpReceiver();
      // /good answers at once, /flaky fails three times first, /down never answers well, /moved redirects to /stolen.
      receiver = await startWebhookReceiver((path, n) =>
        path === '/moved'
          ? { status: 307, headers: { location: receiver.url('/stolen') } }
          : path === '/down'
            ? 500
            : path === '/flaky' && n <= 3
              ? 503
              : 200,
      );
      ledger = await startTestLedger({
        readMail: (email) => smtp.lastTo(email).text,
        env: {
          KAFKA_BROKERS: services.kafkaBrokers!.join(','),
          VIOLATIONS_TOPIC: topic,
          SMTP_URL: smtp.url,
          WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
          NOTIFY_POLL_MS: '50',
          WEBHOOK_RETRY_BASE_MS: '50',
          WEBHOOK_MAX_ATTEMPTS: '4',
          NOTIFY_MIN_SEVERITY: 'high',
        },
      });
      admin = await ledger.signUp();
      clientId = (
        await post<{ data: { clientId: string } }>('/clients', {
          name: 'Riverside Clinic',
          industry: 'health',
          size: '11-50',
          frameworks: ['hipaa'],
        })
      ).body.data.clientId;
      aiServiceId = (
        await post<{ data: { aiServiceId: string } }>('/ai-services', {
          name: 'Covered Chat',
          vendor: 'V',
          models: ['m'],
          baaSigned: true,
          dpaSigned: true,
          dataRetentionDays: 0,
        })
      ).body.data.aiServiceId;
      await post(`/clients/${clientId}/ai-services/${aiServiceId}/approve`, { reason: 'BAA signed' });
      // A compliance officer of the client, who accepts the invitation from the mail.
      expect((await post('/users/invite', { email: officer, role: 'compliance_officer', clientId })).status).toBe(201);
      const token = /token=([A-Za-z0-9._-]+)/.exec(smtp.lastTo(officer).text)![1]!;
      expect(
        (await post('/users/accept-invite', { token, name: 'Olive Officer', password: 'a long enough password' }))
          .status,
      ).toBe(200);
      for (const path of ['/good', '/flaky', '/down', '/moved']) {
        const created = await post<{ data: { webhookId: string; secret: string } }>('/webhooks', {
          url: receiver.url(path),
          events: ['violation.*'],
        });
        expect(created.status).toBe(201);
        expect(created.body.data.secret).toMatch(/^whsec_/);
        secrets[path] = created.body.data.secret;
        webhookIds[path] = created.body.data.webhookId;
      }
    });
    afterAll(async () => {
      await ledger?.close();
      await receiver?.close();
      await smtp?.close();
    });

    it('publishes a violation from POST /analyze/prompt as a valid CloudEvent, keyed by tenant', async () => {
      const analysis = await analyze('Summarise the chart of patient Maria Garcia, SSN 219-45-6781.');
      const messages = await readTopic(services.kafkaBrokers!, topic, 1);
      const message = messages.find(
        (m) => (JSON.parse(m.value) as { data: { analysisId: string } }).data.analysisId === analysis.analysisId,
      );
      expect(message?.key).toBe(admin.tenantId);
      const schema = await fetch(`${ledger.url}/schemas/violations.v1.json`).then((r) => r.json() as Promise<object>);
      const ajv = new Ajv2020.default({ strict: false });
      addFormats.default(ajv);
      const envelope = JSON.parse(message!.value) as { id: string; data: Record<string, unknown> };
      expect(ajv.validate(schema, envelope), JSON.stringify(ajv.errors)).toBe(true);
      expect(envelope.data).toMatchObject({
        kind: 'sensitive-data',
        severity: 'high',
        action: 'block',
        clientId,
        entities: expect.arrayContaining([{ type: 'US_SSN', count: 1 }]) as unknown,
      });
      expect(message!.value).not.toContain('219-45-6781');
      expect(message!.value).not.toContain('Maria');
    });

    it('delivers it to the webhook with a signature that verifies, and mails the compliance officer', async () => {
      await eventually(() => receiver.to('/good').length >= 1, 'the webhook delivery');
      const [delivery] = receiver.to('/good');
      expect(delivery!.headers['content-type']).toBe('application/cloudevents+json');
      expect(verifies(secrets['/good']!, delivery!.headers, delivery!.body)).toBe(true);
      expect(verifies(secrets['/flaky']!, delivery!.headers, delivery!.body)).toBe(false);
      expect(delivery!.headers['webhook-id']).toBe((JSON.parse(delivery!.body) as { id: string }).id);
      await eventually(
        () => smtp.received.some((m) => m.to.includes(officer) && /violation/.test(m.text)),
        'the mail to the officer',
      );
      const mail = smtp.received.find((m) => m.to.includes(officer) && /violation/.test(m.text))!;
      expect(mail.text).toMatch(/high violation for Riverside Clinic/);
      expect(mail.text).toMatch(/1 .{1,4} US_SSN/);
      expect(mail.text).not.toContain('219-45-6781');
    });

    it('retries a failing receiver with backoff until it answers, and lists every attempt', async () => {
      await eventually(() => receiver.to('/flaky').length >= 4, 'four attempts at the flaky receiver', 30_000);
      const deliveries = await ledger.request<{
        data: Array<{ status: string; attempts: Array<{ outcome: string; statusCode: number }> }>;
      }>('GET', `/webhooks/${webhookIds['/flaky']}/deliveries`, { token: admin.accessToken });
      expect(deliveries.status).toBe(200);
      await eventually(async () => {
        const r = await ledger.request<{ data: Array<{ status: string }> }>(
          'GET',
          `/webhooks/${webhookIds['/flaky']}/deliveries`,
          { token: admin.accessToken },
        );
        return r.body.data[0]?.status === 'delivered';
      }, 'the flaky delivery to be recorded as delivered');
      const final = await ledger.request<{
        data: Array<{ status: string; attempts: Array<{ outcome: string; statusCode: number }> }>;
      }>('GET', `/webhooks/${webhookIds['/flaky']}/deliveries`, { token: admin.accessToken });
      expect(final.body.data[0]!.attempts.map((a) => [a.outcome, a.statusCode])).toEqual([
        ['failed', 503],
        ['failed', 503],
        ['failed', 503],
        ['delivered', 200],
      ]);
    });

    it('sends a delivery that never succeeds to the dead-letter topic', async () => {
      const dead = await readTopic(services.kafkaBrokers!, `${topic}.dlq`, 1);
      const letter = dead
        .map((m) => JSON.parse(m.value) as { channel: string; target: string; attempts: number; lastError: string })
        .find((m) => m.target === webhookIds['/down']);
      expect(letter).toMatchObject({ channel: 'webhook', attempts: 4, lastError: 'HTTP 500' });
      expect(receiver.to('/down')).toHaveLength(4);
    });

    it('never follows a redirect: each 307 is a failed attempt, and the other address gets nothing', async () => {
      await eventually(async () => {
        const r = await ledger.request<{ data: Array<{ status: string }> }>(
          'GET',
          `/webhooks/${webhookIds['/moved']}/deliveries`,
          { token: admin.accessToken },
        );
        return r.body.data.at(-1)?.status === 'dead';
      }, 'the redirected delivery to be given up');
      const deliveries = await ledger.request<{
        data: Array<{ lastError: string; attempts: Array<{ outcome: string; statusCode: number }> }>;
      }>('GET', `/webhooks/${webhookIds['/moved']}/deliveries`, { token: admin.accessToken });
      const first = deliveries.body.data.at(-1)!;
      expect(first.attempts.map((a) => a.statusCode)).toEqual([307, 307, 307, 307]);
      expect(first.lastError).toBe('HTTP 307 (redirects are not followed)');
      expect(receiver.to('/stolen')).toHaveLength(0);
    });

    it('does not notify twice when the same message arrives again', async () => {
      const [original] = await readTopic(services.kafkaBrokers!, topic, 1);
      const before = {
        webhooks: receiver.to('/good').length,
        mails: smtp.received.filter((m) => m.to.includes(officer)).length,
      };
      const kafka = new Kafka({
        clientId: uniqueName('replay'),
        brokers: services.kafkaBrokers!,
        logLevel: logLevel.NOTHING,
      });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: [{ key: original!.key, value: original!.value }] });
      await producer.disconnect();
      // A later violation proves the consumer has gone past the duplicate.
      await analyze('Key AKIAIOSFODNN7EXAMPLE leaked in the logs?');
      await eventually(() => receiver.to('/good').length >= before.webhooks + 1, 'the next violation to arrive');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(receiver.to('/good')).toHaveLength(before.webhooks + 1);
      expect(smtp.received.filter((m) => m.to.includes(officer))).toHaveLength(before.mails + 1);
    });

    it('refuses webhook URLs on private or loopback addresses unless allowlisted', async () => {
      for (const url of [
        'https://10.0.0.8/hook',
        'https://[::1]/hook',
        'https://localhost/hook',
        'http://example.com/hook',
        'https://169.254.169.254/latest/meta-data',
        // The same places spelt otherwise: trailing dots, integer and hex IPv4, IPv6 wrappings.
        'https://localhost./hook',
        'https://metadata.google.internal./computeMetadata/v1/',
        'https://2852039166/latest/meta-data',
        'https://0x0a.0.0.8/hook',
        'https://[::ffff:10.0.0.8]/hook',
        'https://[::10.0.0.8]/hook',
        'https://[64:ff9b::a9fe:a9fe]/latest/meta-data',
      ]) {
        const refused = await post('/webhooks', { url, events: ['violation.*'] });
        expect(refused.status, url).toBe(422);
        expect(refused.body).toMatchObject({ errors: [{ field: 'url' }] });
      }
      expect(
        (await post('/webhooks', { url: 'https://hooks.example.com/ledger', events: ['violation.sensitive-data'] }))
          .status,
      ).toBe(201);
    });

    it('lists webhooks without their secrets, and deleting one stops deliveries', async () => {
      const list = await ledger.request<{ data: Array<{ webhookId: string }> }>('GET', '/webhooks', {
        token: admin.accessToken,
      });
      expect(list.body.data.map((w) => w.webhookId)).toEqual(expect.arrayContaining(Object.values(webhookIds)));
      expect(JSON.stringify(list.body)).not.toContain('whsec_');
      expect(
        (await ledger.request('DELETE', `/webhooks/${webhookIds['/good']}`, { token: admin.accessToken })).status,
      ).toBe(200);
      const before = receiver.to('/good').length;
      await analyze('SSN 536-22-8725 for the claim');
      await eventually(() => receiver.to('/flaky').length >= 6, 'a delivery to a remaining webhook');
      expect(receiver.to('/good')).toHaveLength(before);
    });

    it('publishes nothing and notifies no one when the projections are rebuilt', async () => {
      const before = {
        messages: (await readTopic(services.kafkaBrokers!, topic, 1)).length,
        webhooks: receiver.requests.length,
        mails: smtp.received.length,
      };
      const env = {
        ...process.env,
        DATABASE_URL: services.databaseUrl!,
        DATABASE_SCHEMA: ledger.config.DATABASE_SCHEMA,
        DATA_DIR: ledger.dataDir,
        LOG_LEVEL: 'silent',
      };
      const output = await new Promise<string>((resolve, reject) => {
        const rebuild = spawn(process.execPath, ['--import', 'tsx', 'projections/cli.ts', 'rebuild', '--all'], { env });
        let text = '';
        let errors = '';
        rebuild.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
        rebuild.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
        rebuild.once('exit', (code) =>
          code === 0 ? resolve(text) : reject(new Error(`rebuild exited ${code}: ${text}${errors}`)),
        );
      });
      expect(output).toMatch(/^violations: swapped in at \d{20}-\d{20}$/m);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await readTopic(services.kafkaBrokers!, topic, before.messages)).length).toBe(before.messages);
      expect(receiver.requests.length).toBe(before.webhooks);
      expect(smtp.received.length).toBe(before.mails);
    });

    it('reports the publisher in /ready', async () => {
      const ready = await fetch(`${ledger.url}/ready`).then(
        (r) => r.json() as Promise<{ checks: Record<string, Record<string, unknown>> }>,
      );
      expect(ready.checks.violationsPublisher).toMatchObject({ status: 'up', bus: 'kafka', topic, backlog: 0 });
    });
  },
);

describe.skipIf(skip)(
  `a publisher that dies between sending and saving its checkpoint${skip ? ' (skipped)' : ''}`,
  () => {
    it('sends again after the restart, and consumers deliver each violation once', async () => {
      const topic = uniqueName('violations');
      const smtp = await startSmtpReceiver();
      const receiver = await startWebhookReceiver();
      const ledger = await startTestLedger({
        readMail: (email) => smtp.lastTo(email).text,
        env: {
          KAFKA_BROKERS: services.kafkaBrokers!.join(','),
          VIOLATIONS_TOPIC: topic,
          SMTP_URL: smtp.url,
          WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
          NOTIFY_POLL_MS: '50',
        },
      });
      try {
        const admin = await ledger.signUp();
        const post = <T = Record<string, unknown>>(path: string, body: unknown) =>
          ledger.request<T>('POST', path, { token: admin.accessToken, body });
        const clientId = (
          await post<{ data: { clientId: string } }>('/clients', {
            name: 'Clinic',
            industry: 'health',
            size: '1-10',
            frameworks: ['hipaa'],
          })
        ).body.data.clientId;
        const aiServiceId = (
          await post<{ data: { aiServiceId: string } }>('/ai-services', {
            name: 'Chat',
            vendor: 'V',
            models: ['m'],
            baaSigned: true,
            dpaSigned: true,
            dataRetentionDays: 0,
          })
        ).body.data.aiServiceId;
        await post(`/clients/${clientId}/ai-services/${aiServiceId}/approve`, { reason: 'ok' });
        const officer = `officer-${Date.now()}@example.com`;
        await post('/users/invite', { email: officer, role: 'compliance_officer', clientId });
        await post('/users/accept-invite', {
          token: /token=([A-Za-z0-9._-]+)/.exec(smtp.lastTo(officer).text)![1],
          name: 'Olive',
          password: 'a long enough password',
        });
        await post('/webhooks', { url: receiver.url('/hook'), events: ['violation.*'] });
        await post('/analyze/prompt', { clientId, aiServiceId, prompt: 'SSN 219-45-6781' });
        await eventually(
          () => receiver.to('/hook').length === 1 && smtp.received.filter((m) => m.to.includes(officer)).length === 2,
          'the first delivery and mail',
        );

        // The state a crash right after sending leaves: the message is on the topic, the checkpoint has not moved.
        await ledger.sql((db) => sql`delete from checkpoints where name = 'violations-publisher'`.execute(db));
        await ledger.restart();
        await eventually(
          async () => (await readTopic(services.kafkaBrokers!, topic, 2)).length === 2,
          'the violation to be sent a second time',
        );
        await post('/analyze/prompt', { clientId, aiServiceId, prompt: 'SSN 536-22-8725' });
        await eventually(() => receiver.to('/hook').length >= 2, 'the next violation');
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(receiver.to('/hook')).toHaveLength(2);
        expect(smtp.received.filter((m) => m.to.includes(officer))).toHaveLength(3); // the invitation, then one mail per violation
      } finally {
        await ledger.close();
        await receiver.close();
        await smtp.close();
      }
    }, 120_000);
  },
);
