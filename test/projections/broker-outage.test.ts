import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaBroker, type KafkaBroker } from '../../scripts/kafka-broker.js';
import { eventually } from '../contract/message-bus.contract.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { readTopic, startWebhookReceiver } from '../support/receivers.js';
import { needs, uniqueName } from '../support/services.js';

// Its own broker, so that stopping it disturbs no other suite. Skipped with the shared one (no Java, no jars).
const skip = needs('postgres').skip || needs('redis').skip || needs('kafka').skip;

describe.skipIf(skip)(`a Kafka outage${skip ? ' (skipped: needs postgres, redis and kafka)' : ''}`, () => {
  let broker: KafkaBroker;
  let ledger: TestLedger;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const topic = uniqueName('violations');

  beforeAll(async () => {
    broker = await startKafkaBroker({ log: () => {} });
    receiver = await startWebhookReceiver();
    ledger = await startTestLedger({
      env: {
        KAFKA_BROKERS: broker.brokers.join(','),
        VIOLATIONS_TOPIC: topic,
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        NOTIFY_POLL_MS: '50',
      },
    });
  }, 120_000);
  afterAll(async () => {
    await ledger?.close();
    await receiver?.close();
    await broker?.destroy();
  });

  it('delays violations and loses none: after the broker returns, each arrives and is delivered once', async () => {
    const admin = await ledger.signUp();
    const post = <T>(path: string, body: unknown) =>
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
    expect((await post('/webhooks', { url: receiver.url('/hook'), events: ['violation.*'] })).status).toBe(201);

    await broker.stop();
    const analyses: string[] = [];
    for (const ssn of ['219-45-6781', '536-22-8725', '001-01-0001']) {
      const answer = await post<{ data: { analysisId: string } }>('/analyze/prompt', {
        clientId,
        aiServiceId,
        prompt: `SSN ${ssn} on the claim`,
      });
      // Commands do not depend on the broker: the event log is the source, the fan-out catches up.
      expect(answer.status).toBe(201);
      analyses.push(answer.body.data.analysisId);
    }
    await eventually(
      async () => {
        const ready = await fetch(`${ledger.url}/ready`).then(
          (r) => r.json() as Promise<{ checks: Record<string, { backlog?: number }> }>,
        );
        return ready.checks.violationsPublisher?.backlog === 3;
      },
      '/ready to report a backlog of three',
      15_000,
    );
    expect(receiver.to('/hook')).toHaveLength(0);

    await broker.start();
    await eventually(() => receiver.to('/hook').length >= 3, 'three deliveries after the broker returned', 90_000);
    const messages = await readTopic(broker.brokers, topic, 3);
    const published = new Set(
      messages.map((m) => (JSON.parse(m.value) as { data: { analysisId: string } }).data.analysisId),
    );
    expect([...published].sort()).toEqual([...analyses].sort());
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const delivered = receiver
      .to('/hook')
      .map((r) => (JSON.parse(r.body) as { data: { analysisId: string } }).data.analysisId);
    expect(delivered.sort()).toEqual([...analyses].sort());
  }, 180_000);
});
