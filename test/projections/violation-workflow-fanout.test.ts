import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../contract/message-bus.contract.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { approvedService } from '../support/tenants.js';
import { readTopic, startWebhookReceiver } from '../support/receivers.js';
import { needs, services, uniqueName } from '../support/services.js';

const skip = needs('postgres').skip || needs('redis').skip || needs('kafka').skip;

interface Envelope {
  id: string;
  type: string;
  data: Record<string, unknown> & { violationId: string };
}

describe.skipIf(skip)(
  `a violation's workflow fanned out to Kafka and webhooks${skip ? ' (skipped: needs postgres, redis and kafka)' : ''}`,
  () => {
    const topic = uniqueName('violation-workflow');
    let ledger: TestLedger;
    let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
    let admin: Awaited<ReturnType<TestLedger['signUp']>>;
    let clientId: string;
    let aiServiceId: string;

    const post = <T = { data: Record<string, string>; meta: { position: string } }>(path: string, body: unknown) =>
      ledger.request<T>('POST', path, { token: admin.accessToken, body });

    beforeAll(async () => {
      receiver = await startWebhookReceiver();
      ledger = await startTestLedger({
        env: {
          KAFKA_BROKERS: services.kafkaBrokers!.join(','),
          VIOLATIONS_TOPIC: topic,
          WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
          NOTIFY_POLL_MS: '50',
        },
      });
      admin = await ledger.signUp();
      clientId = (
        await post('/clients', { name: 'Riverside Clinic', industry: 'health', size: '11-50', frameworks: ['hipaa'] })
      ).body.data.clientId!;
      aiServiceId = await approvedService(ledger, admin.accessToken, [clientId]);
      for (const [path, events] of [
        ['/all', ['violation.*']],
        ['/resolved', ['violation.resolved']],
        ['/raised', ['violation.sensitive-data']],
      ] as const)
        expect((await post('/webhooks', { url: receiver.url(path), events })).status).toBe(201);
    });
    afterAll(async () => {
      await ledger?.close();
      await receiver?.close();
    });

    // Six commands, a topic read and three webhook waits of their own: more than the default 30 s on a busy machine.
    it(
      'publishes each step with its own CloudEvents type, valid against the published schema, without notes',
      { timeout: 120_000 },
      async () => {
        const analysed = await post('/analyze/prompt', {
          clientId,
          aiServiceId,
          prompt: 'Summarise the chart of patient Maria Garcia, SSN 219-45-6781.',
          userRef: 'employee-4711',
        });
        expect(analysed.status).toBe(201);
        const listed = await ledger.request<{ data: Array<{ violationId: string }> }>('GET', '/violations', {
          token: admin.accessToken,
          headers: { 'X-Min-Position': analysed.body.meta.position },
        });
        const { violationId } = listed.body.data[0]!;
        expect((await post(`/violations/${violationId}/acknowledge`, { note: 'on it' })).status).toBe(200);
        expect((await post(`/violations/${violationId}/assign`, { assigneeId: admin.userId })).status).toBe(200);
        expect((await post(`/violations/${violationId}/comments`, { text: 'Called the clinic' })).status).toBe(201);
        expect((await post(`/violations/${violationId}/resolve`, { note: 'Retrained the front desk' })).status).toBe(
          200,
        );
        expect((await post(`/violations/${violationId}/reopen`, {})).status).toBe(200);

        const messages = await readTopic(services.kafkaBrokers!, topic, 6);
        const envelopes = messages
          .map((m) => JSON.parse(m.value) as Envelope)
          .filter((e) => e.data.violationId === violationId);
        expect(envelopes.map((e) => e.type)).toEqual([
          'dev.compliance-ledger.violation.recorded',
          'dev.compliance-ledger.violation.acknowledged',
          'dev.compliance-ledger.violation.assigned',
          'dev.compliance-ledger.violation.commented',
          'dev.compliance-ledger.violation.resolved',
          'dev.compliance-ledger.violation.reopened',
        ]);
        expect(new Set(messages.map((m) => m.key))).toEqual(new Set([admin.tenantId]));
        const schema = await fetch(`${ledger.url}/schemas/violations.v1.json`).then((r) => r.json() as Promise<object>);
        const ajv = new Ajv2020.default({ strict: false });
        addFormats.default(ajv);
        for (const envelope of envelopes) expect(ajv.validate(schema, envelope), JSON.stringify(ajv.errors)).toBe(true);
        // One entity shape on the topic as in REST.
        expect(envelopes[0]!.data.entities).toEqual(expect.arrayContaining([{ type: 'US_SSN', count: 1 }]));
        expect(envelopes[4]!.data).toMatchObject({
          change: 'resolved',
          status: 'resolved',
          actorId: admin.userId,
          clientId,
          kind: 'sensitive-data',
          severity: 'high',
        });
        expect(envelopes[2]!.data).toMatchObject({ change: 'assigned', assigneeId: admin.userId });
        const text = messages.map((m) => m.value).join('\n');
        for (const secret of ['Retrained the front desk', 'Called the clinic', 'on it', 'employee-4711', '219-45-6781'])
          expect(text).not.toContain(secret);

        // Webhooks: 'violation.*' gets every step, 'violation.resolved' that step only, a kind the violation alone.
        await eventually(() => receiver.to('/all').length >= 6, 'six deliveries to the catch-all webhook', 30_000);
        await eventually(() => receiver.to('/resolved').length >= 1, 'the resolved step', 30_000);
        await eventually(() => receiver.to('/raised').length >= 1, 'the raised violation', 30_000);
        const types = (path: string) => receiver.to(path).map((d) => (JSON.parse(d.body) as Envelope).type);
        expect(types('/all').sort()).toEqual(envelopes.map((e) => e.type).sort());
        expect(types('/resolved')).toEqual(['dev.compliance-ledger.violation.resolved']);
        expect(types('/raised')).toEqual(['dev.compliance-ledger.violation.recorded']);
      },
    );
  },
);
