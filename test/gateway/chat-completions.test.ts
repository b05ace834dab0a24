import { sql } from 'kysely';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { createClient } from '../support/tenants.js';
import { startFakeOpenAiProvider, type FakeOpenAiProvider } from '../support/fake-openai-provider.js';
import { gatewayAdmin } from '../support/gateway.js';
import { RedisTokenBudget } from '../../gateway/limits.js';
import { exchangeChat, gatewayDeps, GatewayRefusal, type GatewayCaller } from '../../gateway/exchange.js';
import { OutboundGuard } from '../../infrastructure/outbound/guard.js';

const skip = needs('postgres').skip || needs('redis').skip;

// Identifiers from the public specifications' examples, each valid for its checksum.
const SSN = '219-45-6781';
const EMAIL = 'maria.garcia@example.org';
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const PROVIDER_KEY = 'sk-fake-provider-key-0123456789abcdef';
const USER_REF = 'employee-4711';

type Recorded = {
  requestId: string;
  outcome: string;
  decision: string | null;
  analysisId: string | null;
  aiServiceId: string | null;
  streamed: boolean;
  tokensIn: number;
  tokensOut: number;
  tokenSource: string;
  providerStatus: number | null;
  findings: {
    input: Array<{ entity: string; action: string; count: number }>;
    output: Array<{ entity: string; action: string; count: number }>;
  };
};

/** Waits for a condition (no fixed sleeps): checks again on every turn of the event loop, for up to 10 s. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in 10 s');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe.skipIf(skip)(
  `the gateway through the official openai SDK${skip ? ' (skipped: no postgres or redis)' : ''}`,
  () => {
    let ledger: TestLedger;
    let provider: FakeOpenAiProvider;
    let gw: Awaited<ReturnType<typeof gatewayAdmin>>;
    let admin: Awaited<ReturnType<TestLedger['signUp']>>;
    let clinic: string;
    let lab: string;
    let chat: string;
    let shadow: string;
    let key: string;
    let keyId: string;
    let labKey: string;
    let openai: OpenAI;
    let labAi: OpenAI;
    const keys: string[] = [];

    const sdk = (apiKey: string) => new OpenAI({ baseURL: `${ledger.url}/gateway/v1`, apiKey, maxRetries: 0 });
    const register = async (name: string, models: string[]) => {
      const registered = await ledger.request<{ data: { aiServiceId: string } }>('POST', '/ai-services', {
        token: admin.accessToken,
        body: { name, vendor: 'Fake AI', models, baaSigned: true, dpaSigned: true, dataRetentionDays: 0 },
      });
      expect(registered.status).toBe(201);
      return registered.body.data.aiServiceId;
    };
    const approve = async (clientId: string, aiServiceId: string) =>
      expect(
        (
          await ledger.request('POST', `/clients/${clientId}/ai-services/${aiServiceId}/approve`, {
            token: admin.accessToken,
            body: { reason: 'contracts signed' },
          })
        ).status,
      ).toBe(200);
    const issue = async (clientId: string, opts: Parameters<typeof gw.issueGatewayKey>[1] = {}) => {
      const issued = await gw.issueGatewayKey(clientId, opts);
      keys.push(issued.key);
      return issued;
    };
    const events = async () => ledger.storedEvents();
    const recorded = async (requestId: string | null | undefined): Promise<Recorded> => {
      const found = (await events()).find(
        (e) => e.type === 'GatewayRequestRecorded' && (e.data as Recorded).requestId === requestId,
      );
      expect(found, `GatewayRequestRecorded ${requestId}`).toBeDefined();
      return found!.data as Recorded;
    };
    const refusal = async (call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> => {
      const error = await call.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(OpenAI.APIError);
      return error as InstanceType<typeof OpenAI.APIError>;
    };
    const ask = (content: string, model = 'gpt-test') =>
      openai.chat.completions.create({ model, messages: [{ role: 'user', content }] });

    beforeAll(async () => {
      ledger = await startTestLedger({ captureLogs: true, env: { PROVIDER_ALLOWED_HOSTS: '127.0.0.1' } });
      provider = await startFakeOpenAiProvider();
      admin = await ledger.signUp();
      gw = await gatewayAdmin(ledger, admin.tenantId, admin.userId);
      clinic = await createClient(ledger, admin.accessToken, 'Clinic');
      lab = await createClient(ledger, admin.accessToken, 'Lab');
      chat = await register('Fake Chat', ['gpt-test', 'gpt-embed']);
      const slow = await register('Slow Chat', ['slow-model']);
      const other = await register('Other Chat', ['gpt-other']);
      shadow = await register('Shadow Chat', ['shadow-model']);
      for (const id of [chat, slow, other]) await approve(clinic, id);
      await approve(lab, chat);
      await gw.setProvider(chat, { baseUrl: provider.url, apiKey: PROVIDER_KEY });
      await gw.setProvider(slow, { baseUrl: provider.url, apiKey: PROVIDER_KEY, timeoutMs: 1000 });
      await gw.setProvider(shadow, { baseUrl: provider.url, apiKey: PROVIDER_KEY });
      // "Other Chat" has no provider: its model is not offered through the gateway.
      await gw.setAiPolicy(clinic, { rules: [{ entity: 'US_SSN', minScore: 0.5, action: 'redact' }] });
      // The lab lets secrets in answers be warned about: the gateway still redacts them at least.
      await gw.setGatewaySettings(lab, {
        outputRules: [
          { entity: 'AWS_ACCESS_KEY', minScore: 0.1, action: 'warn' },
          { entity: 'EMAIL_ADDRESS', minScore: 0.1, action: 'block' },
        ],
      });
      ({ key, keyId } = await issue(clinic, { userRef: USER_REF }));
      labKey = (await issue(lab)).key;
      openai = sdk(key);
      labAi = sdk(labKey);
    });

    afterAll(async () => {
      await gw?.close();
      await provider?.close();
      await ledger?.close();
    });

    it('passes an allowed request through, with the provider key, and records it', async () => {
      const before = provider.received.length;
      const completion = await ask('Write a haiku about spring.');
      expect(completion.choices[0]!.message.content).toBe('Hello from the fake provider.');
      expect(completion.object).toBe('chat.completion');
      expect(completion.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7 });
      const sent = provider.received[before]!;
      expect(sent.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
      expect(sent.body.messages).toEqual([{ role: 'user', content: 'Write a haiku about spring.' }]);
      const record = await recorded(completion._request_id);
      expect(record).toMatchObject({
        outcome: 'completed',
        decision: 'allow',
        aiServiceId: chat,
        streamed: false,
        tokensIn: 11,
        tokensOut: 7,
        tokenSource: 'provider',
        providerStatus: 200,
      });
      expect(record.analysisId).toBeTruthy();
    });

    it('sees what changed since the last request at once: a new provider key set elsewhere, a revoked approval', async () => {
      // The gateway keeps the client's, its governance's and the service's state in memory; each request reads what
      // was appended since, whoever appended it (here another handler, as another process would).
      const client = await createClient(ledger, admin.accessToken, 'Cached Clinic');
      const service = await register('Cache Chat', ['gpt-cache']);
      await approve(client, service);
      await gw.setProvider(service, { baseUrl: provider.url, apiKey: 'sk-first' });
      const ai = sdk((await issue(client)).key);
      const call = () =>
        ai.chat.completions.create({ model: 'gpt-cache', messages: [{ role: 'user', content: 'Hi' }] });
      const sentWith = async () => {
        const before = provider.received.length;
        await call();
        return provider.received[before]!.authorization;
      };
      expect(await sentWith()).toBe('Bearer sk-first');
      expect(await sentWith()).toBe('Bearer sk-first');
      await gw.setProvider(service, { baseUrl: provider.url, apiKey: 'sk-second' });
      expect(await sentWith()).toBe('Bearer sk-second');
      const revoked = await ledger.request('POST', `/clients/${client}/ai-services/${service}/revoke`, {
        token: admin.accessToken,
        body: { reason: 'contract ended' },
      });
      expect(revoked.status).toBe(200);
      const before = provider.received.length;
      const error = await refusal(call());
      expect(error.status).toBe(404);
      expect(error.code).toBe('model_not_found');
      expect(provider.received.length).toBe(before);
    });

    it('streams an allowed answer, with usage when asked', async () => {
      provider.script({ chunks: ['Spring ', 'rain on ', 'the roof.'] });
      const stream = await openai.chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'A haiku, please.' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let usage: OpenAI.CompletionUsage | null | undefined;
      let finish: string | null = null;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) usage = chunk.usage;
      }
      expect(text).toBe('Spring rain on the roof.');
      expect(finish).toBe('stop');
      expect(usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7 });
    });

    it('blocks a request the policy blocks: policy_violation naming reasons and analysis, nothing forwarded', async () => {
      const before = provider.received.length;
      const error = await refusal(ask(`Deploy with key ${AWS_KEY} please`));
      expect(error.status).toBe(400);
      expect(error.type).toBe('policy_violation');
      expect(error.code).toBe('policy_violation');
      expect(error.message).toMatch(/AWS_ACCESS_KEY → block/);
      const body = error.error as { analysis_id: string; reasons: string[] };
      expect(body.analysis_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(error.message).toContain(body.analysis_id);
      expect(provider.received.length).toBe(before);
      const record = await recorded(error.requestID);
      expect(record).toMatchObject({ outcome: 'blocked', decision: 'block', analysisId: body.analysis_id });
      expect(record.findings.input).toContainEqual({ entity: 'AWS_ACCESS_KEY', action: 'block', count: 1 });
      const analysed = (await events()).find(
        (e) => e.type === 'PromptAnalyzed' && (e.data as { analysisId: string }).analysisId === body.analysis_id,
      );
      expect(analysed).toBeDefined();
    });

    it('redacts before forwarding and restores the placeholder in the answer', async () => {
      provider.script({ content: 'Noted: <US_SSN_1> is on file.' });
      const before = provider.received.length;
      const completion = await ask(`My SSN is ${SSN}, keep it on file.`);
      expect(completion.choices[0]!.message.content).toBe(`Noted: ${SSN} is on file.`);
      const sent = JSON.stringify(provider.received[before]!.body);
      expect(sent).toContain('<US_SSN_1>');
      expect(sent).not.toContain(SSN);
      const record = await recorded(completion._request_id);
      expect(record).toMatchObject({ outcome: 'completed', decision: 'redact' });
      expect(record.findings.input).toContainEqual({ entity: 'US_SSN', action: 'redact', count: 1 });
    });

    it('restores a placeholder split across streamed chunks', async () => {
      provider.script({ chunks: ['Your number ', '<US_', 'SSN_1', '> is on', ' file.'] });
      const before = provider.received.length;
      const stream = await openai.chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: `Remember ${SSN} for me.` }],
        stream: true,
      });
      const pieces: string[] = [];
      for await (const chunk of stream) pieces.push(chunk.choices[0]?.delta.content ?? '');
      expect(pieces.join('')).toBe(`Your number ${SSN} is on file.`);
      // No piece shows a fragment of a placeholder.
      expect(pieces.some((p) => p.includes('<US_') || p.includes('SSN_1'))).toBe(false);
      expect(JSON.stringify(provider.received[before]!.body)).not.toContain(SSN);
    });

    it('warns: forwards the text unchanged and records the finding', async () => {
      const before = provider.received.length;
      const completion = await ask(`Draft a reply to ${EMAIL} about the meeting.`);
      expect(JSON.stringify(provider.received[before]!.body)).toContain(EMAIL);
      const record = await recorded(completion._request_id);
      expect(record).toMatchObject({ outcome: 'completed', decision: 'warn' });
      expect(record.findings.input).toContainEqual({ entity: 'EMAIL_ADDRESS', action: 'warn', count: 1 });
    });

    it('redacts a secret the model produced, whole and streamed in pieces', async () => {
      provider.script({ content: `Use ${AWS_KEY} to deploy.` });
      const completion = await labAi.chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'How do I deploy?' }],
      });
      expect(completion.choices[0]!.message.content).toBe('Use <AWS_ACCESS_KEY_1> to deploy.');
      const record = await recorded(completion._request_id);
      expect(record.findings.output).toContainEqual({ entity: 'AWS_ACCESS_KEY', action: 'redact', count: 1 });

      provider.script({ chunks: ['Use AKIAIOSF', 'ODNN7EX', 'AMPLE', ' to deploy.'] });
      const stream = await labAi.chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'And streamed?' }],
        stream: true,
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe('Use <AWS_ACCESS_KEY_1> to deploy.');
    });

    it('blocks an answer the output policy blocks: refused whole, cut off when streamed', async () => {
      provider.script({ content: `Write to ${EMAIL} for details.` });
      const error = await refusal(
        labAi.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'Who?' }] }),
      );
      expect(error.type).toBe('policy_violation');
      expect(JSON.stringify(error.error)).not.toContain(EMAIL);
      expect(await recorded(error.requestID)).toMatchObject({ outcome: 'blocked', decision: 'allow' });

      provider.script({ chunks: ['Sure. ', 'Write to maria.garcia', '@example.org for ', 'details.'] });
      const { data: stream, response } = await labAi.chat.completions
        .create({ model: 'gpt-test', messages: [{ role: 'user', content: 'Who, streamed?' }], stream: true })
        .withResponse();
      let text = '';
      let finish: string | null = null;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(text).not.toContain('maria.garcia');
      expect(text).toContain('Sure.');
      expect(finish).toBe('content_filter');
      expect(await recorded(response.headers.get('x-request-id'))).toMatchObject({ outcome: 'blocked' });
    });

    it('analyses tool-call arguments and tool results, and restores them in the tool calls of the answer', async () => {
      const args = JSON.stringify({ ssn: SSN });
      provider.script({
        content: '',
        toolCalls: [
          { id: 'call_2', type: 'function', function: { name: 'lookup', arguments: '{"ssn":"<US_SSN_1>"}' } },
        ],
      });
      const before = provider.received.length;
      const completion = await openai.chat.completions.create({
        model: 'gpt-test',
        messages: [
          { role: 'user', content: 'Look the patient up.' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: args } }],
          },
          { role: 'tool', tool_call_id: 'call_1', content: `Found: SSN ${SSN}, in ward 3.` },
        ],
        tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
      });
      const sent = JSON.stringify(provider.received[before]!.body);
      expect(sent).not.toContain(SSN);
      expect(sent).toContain('<US_SSN_1>');
      expect(provider.received[before]!.body.tools).toBeDefined();
      const call = completion.choices[0]!.message.tool_calls![0]! as { function: { arguments: string } };
      expect(JSON.parse(call.function.arguments)).toEqual({ ssn: SSN });
      expect((await recorded(completion._request_id)).findings.input).toContainEqual({
        entity: 'US_SSN',
        action: 'redact',
        count: 2,
      });
    });

    it('blocks parts it cannot analyse (an image) by default, recorded as unanalysable', async () => {
      const before = provider.received.length;
      const error = await refusal(
        openai.chat.completions.create({
          model: 'gpt-test',
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'What is in this picture?' },
                { type: 'image_url', image_url: { url: 'https://example.com/x.png' } },
              ],
            },
          ],
        }),
      );
      expect(error.type).toBe('policy_violation');
      expect(error.code).toBe('unanalysable_content');
      expect(provider.received.length).toBe(before);
      expect(await recorded(error.requestID)).toMatchObject({ outcome: 'unanalysable' });
    });

    it('records a request the caller gave up on as cancelled', async () => {
      provider.script({ hang: true });
      const before = provider.received.length;
      const controller = new AbortController();
      const asked = openai.chat.completions.create(
        { model: 'gpt-test', messages: [{ role: 'user', content: 'never mind' }] },
        { signal: controller.signal },
      );
      await until(async () => provider.received.length > before);
      controller.abort();
      await expect(asked).rejects.toThrow();
      await until(async () =>
        (await events()).some(
          (e) => e.type === 'GatewayRequestRecorded' && (e.data as Recorded).outcome === 'cancelled',
        ),
      );
    });

    it('refuses a model no approved service offers, and records the shadow AI as a violation', async () => {
      const before = provider.received.length;
      const registered = await refusal(ask('hello', 'shadow-model'));
      expect(registered.status).toBe(404);
      expect(registered.code).toBe('model_not_found');
      const unknown = await refusal(ask('hello', 'nobody-offers-this'));
      expect(unknown.status).toBe(404);
      expect(provider.received.length).toBe(before);
      const violations = (await events())
        .filter((e) => e.type === 'ViolationRecorded')
        .map((e) => e.data as { kind: string; aiServiceId: string; reasons: string[] });
      expect(violations).toContainEqual(
        expect.objectContaining({ kind: 'unapproved-ai-service', aiServiceId: shadow }),
      );
      expect(
        violations.some(
          (v) => v.kind === 'unapproved-ai-service' && v.reasons.some((r) => r.includes('"nobody-offers-this"')),
        ),
      ).toBe(true);
      expect(await recorded(registered.requestID)).toMatchObject({ outcome: 'unapproved-model', aiServiceId: shadow });
      expect(await recorded(unknown.requestID)).toMatchObject({ outcome: 'unapproved-model', aiServiceId: null });
      // An approved service without a provider: refused, no violation.
      expect((await refusal(ask('hello', 'gpt-other'))).status).toBe(404);
    });

    it('answers 401 invalid_api_key for a revoked, unknown or missing key', async () => {
      const revoked = await issue(clinic);
      const ai = sdk(revoked.key);
      await ai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
      await gw.revokeGatewayKey(revoked.keyId);
      const error = await refusal(
        ai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }),
      );
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(error.code).toBe('invalid_api_key');
      expect((await refusal(sdk('sk-not-a-gateway-key').models.list())).status).toBe(401);
      const bare = await fetch(`${ledger.url}/gateway/v1/models`);
      expect(bare.status).toBe(401);
      expect(((await bare.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    });

    it('answers OpenAI-shaped errors for bad JSON, a bad body and an unknown route', async () => {
      const post = (path: string, body: string) =>
        fetch(`${ledger.url}/gateway/v1${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body,
        });
      const bad = await post('/chat/completions', '{"model":');
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
      const noMessages = await post('/chat/completions', '{"model":"gpt-test"}');
      expect(noMessages.status).toBe(400);
      expect(((await noMessages.json()) as { error: { param: string } }).error.param).toBe('messages');
      const logprobs = await post(
        '/chat/completions',
        JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }], logprobs: true }),
      );
      expect(((await logprobs.json()) as { error: { param: string } }).error.param).toBe('logprobs');
      const unknown = await post('/completions', '{}');
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    });

    it('limits the requests a minute of a key: 429, recorded', async () => {
      const limited = sdk((await issue(clinic, { requestsPerMinute: 2 })).key);
      const hi = () =>
        limited.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
      await hi();
      await hi();
      const error = await refusal(hi());
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error.code).toBe('rate_limit_exceeded');
      expect(error.headers?.get('retry-after')).toMatch(/^\d+$/);
      expect(await recorded(error.requestID)).toMatchObject({ outcome: 'rate-limited' });
    });

    it('refuses a request over the monthly token budget: 429 insufficient_quota, recorded', async () => {
      const budgeted = await createClient(ledger, admin.accessToken, 'Budgeted');
      await approve(budgeted, chat);
      await gw.setGatewaySettings(budgeted, { monthlyTokenBudget: 500 });
      const ai = sdk((await issue(budgeted)).key);
      const ok = await ai.chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 300,
      });
      expect(ok.choices[0]!.message.content).toBeTruthy();
      const before = provider.received.length;
      const error = await refusal(
        ai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], max_tokens: 490 }),
      );
      expect(error.status).toBe(429);
      expect(error.code).toBe('insufficient_quota');
      expect(provider.received.length).toBe(before);
      expect(await recorded(error.requestID)).toMatchObject({ outcome: 'budget-exhausted' });
    });

    it('lets thirty parallel requests take no more than the budget', async () => {
      const budgeted = await createClient(ledger, admin.accessToken, 'Parallel');
      await approve(budgeted, chat);
      await gw.setGatewaySettings(budgeted, { monthlyTokenBudget: 1000 });
      const ai = sdk((await issue(budgeted, { requestsPerMinute: 1000 })).key);
      const before = provider.received.length;
      // Each answer uses exactly its estimate (1 token of prompt + max_tokens 200): four fit in 1000, in any order.
      provider.script(
        ...Array.from({ length: 30 }, () => ({ content: 'ok', usage: { prompt_tokens: 1, completion_tokens: 200 } })),
      );
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, () =>
          ai.chat.completions.create({
            model: 'gpt-test',
            messages: [{ role: 'user', content: 'hi' }],
            max_tokens: 200,
          }),
        ),
      );
      const done = results.filter((r) => r.status === 'fulfilled').length;
      const refused = results.filter(
        (r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'insufficient_quota',
      ).length;
      provider.clearScript();
      expect(done + refused).toBe(30);
      expect(done).toBe(4);
      expect(provider.received.length - before).toBe(done);
      // Settled to the provider's usage: what is used is what was spent, never more than the budget.
      const month = new Date().toISOString().slice(0, 7);
      const used = await new RedisTokenBudget(gw.resources.redis!, ledger.config.REDIS_KEY_PREFIX).used(
        admin.tenantId,
        budgeted,
        month,
      );
      expect(used).toBe(done * 201);
      expect(used).toBeLessThanOrEqual(1000);
    });

    it('analyses every string it forwards: names, refusals, tool ids and names, stop sequences, tool and schema texts', async () => {
      const before = provider.received.length;
      const completion = await openai.chat.completions.create({
        model: 'gpt-test',
        messages: [
          { role: 'system', content: 'You help a clinic.', name: `desk_${SSN}` },
          { role: 'assistant', content: null, refusal: `I will not repeat ${SSN}` },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: SSN, type: 'function', function: { name: 'lookup', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: SSN, content: 'nothing found' },
          { role: 'user', content: 'Summarise.' },
        ],
        stop: [`end ${SSN}`],
        tools: [
          {
            type: 'function',
            function: {
              name: 'lookup',
              description: `Looks up the patient with SSN ${SSN}`,
              parameters: { type: 'object', properties: { ssn: { type: 'string', enum: [SSN] } } },
            },
          },
        ],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'answer', description: `About ${SSN}`, schema: { type: 'object' } },
        },
      });
      expect(completion.choices[0]!.message.content).toBe('Hello from the fake provider.');
      const seen = JSON.stringify(provider.received.slice(before));
      expect(seen).not.toContain(SSN);
      expect(seen).not.toContain('6781');
      const sent = provider.received[before]!.body as Record<string, unknown> & {
        messages: Array<Record<string, unknown>>;
      };
      // The same value is the same placeholder everywhere: a tool call and its result still match.
      expect(sent.messages[2]!.tool_calls).toEqual([
        { id: '<US_SSN_1>', type: 'function', function: { name: 'lookup', arguments: '{}' } },
      ]);
      expect(sent.messages[3]!.tool_call_id).toBe('<US_SSN_1>');
      expect(sent.stop).toEqual(['end <US_SSN_1>']);
    });

    it('forwards what it analysed: no full-width digits, zero-width marks or odd dashes hide a value', async () => {
      const spellings = [
        '\uff12\uff11\uff19-\uff14\uff15-\uff16\uff17\uff18\uff11',
        '219\u200b-45-6781',
        '219\u201145\u20116781',
        '219\u221245\u22126781',
        '\u0662\u0661\u0669-\u0664\u0665-\u0666\u0667\u0668\u0661',
        '219\u007f-45-6781',
        '2\ufe0f19-45-6781',
        '2\u03031\u03039-45-6781',
        '219\u204345\u20436781',
      ];
      for (const spelling of spellings) {
        const before = provider.received.length;
        provider.script({ content: 'Noted <US_SSN_1>.' });
        const completion = await ask(`Patient SSN ${spelling}, please note it.`);
        const sent = provider.received[before]!.body.messages![0]!.content as string;
        expect(sent, JSON.stringify(spelling)).toBe('Patient SSN <US_SSN_1>, please note it.');
        // Restored as it was analysed: the value in plain digits.
        expect(completion.choices[0]!.message.content).toBe(`Noted ${SSN}.`);
      }
    });

    it("reads a message's text parts as one text, and a schema's property names as text", async () => {
      const before = provider.received.length;
      await openai.chat.completions.create({
        model: 'gpt-test',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Patient SSN 219-4' },
              { type: 'text', text: '5-6781, please note it.' },
            ],
          },
        ],
        tools: [
          {
            type: 'function',
            function: {
              name: 'file',
              parameters: { type: 'object', properties: { [`ssn ${SSN}`]: { type: 'string' } } },
            },
          },
        ],
      });
      const seen = JSON.stringify(provider.received.slice(before));
      expect(seen).not.toContain('6781');
      expect(seen).not.toContain('219-4');
      const sent = provider.received[before]!.body as { messages: Array<{ content: Array<{ text: string }> }> };
      expect(sent.messages[0]!.content.map((part) => part.text).join('')).toBe(
        'Patient SSN <US_SSN_1>, please note it.',
      );
    });

    it("passes on none of the provider's own words but the answer: model, finish reason, ids and names are checked or ours", async () => {
      provider.script({
        content: 'Done.',
        toolCalls: [{ id: `call ${SSN}`, type: 'function', function: { name: 'lookup', arguments: '{}' } }],
      });
      const completion = await ask('Run the tool.');
      expect(completion.choices[0]!.message.tool_calls![0]!.id).not.toContain('6781');
      // A secret in a tool's name is a secret in the answer: the output policy blocks it like one in the text.
      provider.script({
        content: 'Done.',
        toolCalls: [{ id: 'call_1', type: 'function', function: { name: `run ${AWS_KEY}`, arguments: '{}' } }],
      });
      expect((await refusal(ask('Run the tool.'))).type).toBe('policy_violation');
      expect(completion.model).toBe('gpt-test');
      provider.script({ status: 400, content: `bad key ${AWS_KEY}` });
      const failed = await refusal(ask('hello'));
      expect(failed.message).toBe('502 The AI service answered 400');
    });

    it('refuses members it does not know, and bodies nested deeper than any request needs, naming them', async () => {
      const before = provider.received.length;
      const post = (body: unknown) =>
        fetch(`${ledger.url}/gateway/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const legacy = await post({
        model: 'gpt-test',
        messages: [{ role: 'assistant', content: null, function_call: { name: 'x', arguments: SSN } }],
      });
      expect(legacy.status).toBe(400);
      expect(((await legacy.json()) as { error: { param: string } }).error.param).toBe('messages.0.function_call');
      const extra = await post({
        model: 'gpt-test',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { note: SSN } }] }],
      });
      expect(extra.status).toBe(400);
      expect(((await extra.json()) as { error: { param: string } }).error.param).toBe(
        'messages.0.content.0.cache_control',
      );
      let deep: Record<string, unknown> = { type: 'string' };
      for (let i = 0; i < 1000; i++) deep = { type: 'object', properties: { x: deep } };
      const nested = await post({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [{ type: 'function', function: { name: 'f', parameters: deep } }],
      });
      expect(nested.status).toBe(400);
      expect(((await nested.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
      const hot = await post({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], temperature: 'hot' });
      expect(hot.status).toBe(400);
      expect(((await hot.json()) as { error: { param: string } }).error.param).toBe('temperature');
      expect(provider.received.length).toBe(before);
    });

    it('never passes the provider’s own error text on, and records no personal data written as a model name', async () => {
      provider.script({
        status: 401,
        content: `Incorrect API key provided: ${PROVIDER_KEY} for ${SSN}`,
      });
      const failed = await refusal(ask('hello'));
      expect(failed.status).toBe(502);
      expect(failed.message).not.toContain(PROVIDER_KEY);
      expect(failed.message).not.toContain(SSN);
      const shadowy = await refusal(ask('hello', `model-${EMAIL}`));
      expect(shadowy.status).toBe(404);
      expect(shadowy.message).not.toContain(EMAIL);
      expect(await recorded(shadowy.requestID)).toMatchObject({ outcome: 'unapproved-model', model: '[withheld]' });
      expect(JSON.stringify(await events())).not.toContain(EMAIL);
    });

    it('answers 502 when the provider fails, 504 when it is too slow, both recorded', async () => {
      provider.script({ status: 500 });
      const down = await refusal(ask('hello'));
      expect(down.status).toBe(502);
      expect(down.code).toBe('provider_error');
      expect(await recorded(down.requestID)).toMatchObject({ outcome: 'provider-error', providerStatus: 500 });

      provider.script({ hang: true });
      const slow = await refusal(ask('hello', 'slow-model'));
      expect(slow.status).toBe(504);
      expect(await recorded(slow.requestID)).toMatchObject({ outcome: 'provider-timeout' });
    });

    it('ends a stream with an error event when the provider cuts the connection mid-stream, recorded', async () => {
      provider.script({ chunks: ['one ', 'two ', 'three ', 'four'], cutAfter: 2 });
      const { data: stream, response } = await openai.chat.completions
        .create({ model: 'gpt-test', messages: [{ role: 'user', content: 'count' }], stream: true })
        .withResponse();
      const failure = await (async () => {
        for await (const _chunk of stream) void _chunk;
      })().then(
        () => null,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(OpenAI.APIError);
      const requestId = response.headers.get('x-request-id');
      expect(await recorded(requestId)).toMatchObject({ outcome: 'provider-error', streamed: true });
    });

    it('forwards nothing when the analysis cannot be recorded', async () => {
      await ledger.sql(async (db) => {
        await sql`create function refuse_analysis() returns trigger language plpgsql as $$ begin raise exception 'event store down'; end $$`.execute(
          db,
        );
        await sql`create trigger refuse_analysis before insert on events for each row when (new.type = 'PromptAnalyzed') execute function refuse_analysis()`.execute(
          db,
        );
      });
      try {
        const before = provider.received.length;
        const error = await refusal(ask('hello while the store is down'));
        expect(error.status).toBe(503);
        expect(provider.received.length).toBe(before);
      } finally {
        await ledger.sql(async (db) => {
          await sql`drop trigger refuse_analysis on events`.execute(db);
          await sql`drop function refuse_analysis()`.execute(db);
        });
      }
    });

    it('lists only the approved models the key may use', async () => {
      const models = (await openai.models.list()).data.map((m) => m.id);
      expect(models).toEqual(['gpt-embed', 'gpt-test', 'slow-model']);
      const bound = sdk((await issue(clinic, { aiServiceIds: [chat] })).key);
      expect((await bound.models.list()).data.map((m) => m.id)).toEqual(['gpt-embed', 'gpt-test']);
      expect((await labAi.models.list()).data.map((m) => m.id)).toEqual(['gpt-embed', 'gpt-test']);
      expect(await openai.models.retrieve('gpt-test')).toMatchObject({ id: 'gpt-test', object: 'model' });
      expect((await refusal(labAi.models.retrieve('slow-model'))).status).toBe(404);
      // The lab never approved "Slow Chat": its model is not the lab's to use, whoever else approved it.
      const other = await refusal(
        labAi.chat.completions.create({ model: 'slow-model', messages: [{ role: 'user', content: 'hi' }] }),
      );
      expect(other.code).toBe('model_not_found');
    });

    it('analyses embeddings input and embeds the redacted text', async () => {
      const before = provider.received.length;
      const result = await openai.embeddings.create({ model: 'gpt-embed', input: [`SSN ${SSN}`, 'plain text'] });
      expect(result.data).toHaveLength(2);
      const sent = provider.received[before]!;
      expect(sent.path).toBe('/v1/embeddings');
      expect(sent.body.input).toEqual(['SSN <US_SSN_1>', 'plain text']);
      const blocked = await refusal(openai.embeddings.create({ model: 'gpt-embed', input: `key ${AWS_KEY}` }));
      expect(blocked.type).toBe('policy_violation');
      expect(provider.received.length).toBe(before + 1);
    });

    it('gives the ledger chat (a signed-in user, no key) the answer in both forms through exchangeChat', async () => {
      const deps = gatewayDeps(
        { ...gw.resources, providerGuard: new OutboundGuard({ allowedHosts: ['127.0.0.1'] }) },
        gw.handler,
      );
      const caller: GatewayCaller = {
        tenantId: admin.tenantId,
        clientId: clinic,
        keyId: null,
        userId: admin.userId,
        userRef: null,
        userRefHash: null,
        aiServiceIds: null,
        requestsPerMinute: null,
      };
      provider.script({ chunks: ['Kept <US', '_SSN_1> safe', '.'] });
      const deltas: string[] = [];
      const result = await exchangeChat(
        deps,
        caller,
        { model: 'gpt-test', messages: [{ role: 'user', content: `Keep ${SSN} safe` }] },
        { signal: new AbortController().signal, onDelta: (d) => deltas.push(d), conversationId: 'session-1' },
      );
      expect(result.answer).toBe(`Kept ${SSN} safe.`);
      expect(deltas.join('')).toBe(result.answer);
      expect(result.answerAsReceived).toBe('Kept <US_SSN_1> safe.');
      expect(JSON.stringify(result.sent)).not.toContain(SSN);
      expect(result).toMatchObject({ decision: 'redact', aiServiceId: chat, finishReason: 'stop' });
      expect(result.usage).toEqual({ tokensIn: 11, tokensOut: 7, source: 'provider' });
      expect(await recorded(result.requestId)).toMatchObject({ outcome: 'completed', streamed: true, keyId: null });
      const blocked = await exchangeChat(
        deps,
        caller,
        { model: 'gpt-test', messages: [{ role: 'user', content: `key ${AWS_KEY}` }] },
        { signal: new AbortController().signal },
      ).catch((e: unknown) => e);
      expect(blocked).toBeInstanceOf(GatewayRefusal);
      expect((blocked as GatewayRefusal).status).toBe(400);
      expect((blocked as GatewayRefusal).error.type).toBe('policy_violation');
    });

    it('leaves no prompt value, answer value or key in the database or the logs', async () => {
      const tables = await ledger.sql(async (db) =>
        (
          await sql<{ table_name: string }>`select table_name from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db)
        ).rows.map((r) => r.table_name),
      );
      expect(tables).toContain('events');
      const dump = await ledger.sql(async (db) => {
        let all = '';
        for (const table of tables)
          all += JSON.stringify((await sql`select * from ${sql.table(table)}`.execute(db)).rows);
        return all;
      });
      const logs = ledger.logs();
      expect(logs.length).toBeGreaterThan(1000);
      expect(logs).toContain('/gateway/v1/chat/completions');
      for (const value of [SSN, SSN.replace(/-/g, ''), AWS_KEY, PROVIDER_KEY, USER_REF, ...keys, 'Bearer']) {
        expect(dump, `the database holds ${value}`).not.toContain(value);
        expect(logs, `the logs hold ${value}`).not.toContain(value);
      }
      for (const text of ['Write a haiku about spring', 'Spring rain on the roof', 'Noted:', 'keep it on file']) {
        expect(dump).not.toContain(text);
        expect(logs).not.toContain(text);
      }
      void keyId;
    });
  },
);
