/**
 * What the gateway adds to an AI call: the FAKE provider called directly and through the gateway, in one run, not
 * streamed (latency) and streamed (time to first token), with 1 and 32 concurrent callers and 1 KB and 8 KB prompts;
 * prints the added p50 and p99 and the throughput ratio. Every gateway request is authenticated, analysed, recorded
 * (two appends) and its answer checked.
 *
 *   npm run bench -- gateway          (DATABASE_URL picks the PostgreSQL server; BENCH_SECONDS=10 to measure longer)
 */
import jwt from 'jsonwebtoken';
import { startFakeOpenAiProvider } from '../test/support/fake-openai-provider.js';
import { gatewayAdmin } from '../test/support/gateway.js';
import { benchLedger, seconds } from './http-load.js';

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** Closed-loop callers; each call's figure is what `measure` returns (its latency, or its time to first token). */
async function load(clients: number, measure: () => Promise<number | null>): Promise<Figures> {
  const run = async (until: number, figures: number[] | null): Promise<number> => {
    let errors = 0;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < until) {
          const figure = await measure();
          if (figure === null) errors++;
          else figures?.push(figure);
        }
      }),
    );
    return errors;
  };
  await run(performance.now() + 1_000, null);
  const figures: number[] = [];
  const started = performance.now();
  const errors = await run(started + seconds * 1000, figures);
  const elapsed = (performance.now() - started) / 1000;
  figures.sort((a, b) => a - b);
  const at = (q: number) => figures[Math.min(figures.length - 1, Math.floor(q * figures.length))] ?? NaN;
  return { rps: figures.length / elapsed, p50: at(0.5), p99: at(0.99), errors };
}

/** One call: its whole latency, or (streamed) the time to the first chunk with content. */
async function call(url: string, key: string, body: string, streamed: boolean): Promise<number | null> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body,
  });
  if (!response.ok || !response.body) {
    await response.arrayBuffer();
    return null;
  }
  if (!streamed) {
    await response.arrayBuffer();
    return performance.now() - started;
  }
  let first: number | null = null;
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    if (first === null && /"content":"[^"]/.test(decoder.decode(chunk, { stream: true })))
      first = performance.now() - started;
  }
  return first;
}

/** Prose without identifiers, about `bytes` long. */
const prose = (bytes: number) =>
  'The quarterly review covers the onboarding checklist, the access policy and the training plan. '
    .repeat(Math.ceil(bytes / 96))
    .slice(0, bytes);

export async function run(): Promise<void> {
  const provider = await startFakeOpenAiProvider();
  // An answer of about 600 characters in 30 chunks: the gateway holds back 64 characters and a word.
  const words = prose(600).split(/(?<= )/);
  const chunks: string[] = [];
  for (let i = 0; i < words.length; i += 3) chunks.push(words.slice(i, i + 3).join(''));
  provider.answerByDefault({ chunks, content: chunks.join('') });
  provider.received.length = 0;
  const ledger = await benchLedger(process.env.DATABASE_URL ? 'postgres' : 'embedded', {
    PROVIDER_ALLOWED_HOSTS: '127.0.0.1',
    GATEWAY_KEY_REQUESTS_PER_MINUTE: '100000000',
  });
  const { tid: tenantId, sub: userId } = jwt.decode(ledger.token) as { tid: string; sub: string };
  const admin = await gatewayAdmin(ledger, tenantId, userId);
  try {
    const json = async <T>(response: Promise<Response>) => ((await (await response).json()) as { data: T }).data;
    const { clientId } = await json<{ clientId: string }>(
      ledger.post('/clients', { name: 'Client', industry: 'healthcare', size: '11-50' }),
    );
    const { aiServiceId } = await json<{ aiServiceId: string }>(
      ledger.post('/ai-services', {
        name: 'Fake',
        vendor: 'Fake AI',
        models: ['bench-model'],
        baaSigned: true,
        dpaSigned: true,
        dataRetentionDays: 0,
      }),
    );
    await ledger.post(`/clients/${clientId}/ai-services/${aiServiceId}/approve`, { reason: 'benchmark' });
    await admin.setProvider(aiServiceId, { baseUrl: provider.url, apiKey: 'sk-fake', timeoutMs: 60_000 });
    const { key } = await admin.issueGatewayKey(clientId);
    const rows: string[] = [];
    for (const streamed of [false, true])
      for (const size of [1024, 8192])
        for (const clients of [1, 32]) {
          // Never keep the fake's record of every request: memory, not what is measured.
          provider.received.length = 0;
          const body = JSON.stringify({
            model: 'bench-model',
            messages: [{ role: 'user', content: prose(size) }],
            ...(streamed ? { stream: true } : {}),
          });
          const direct = await load(clients, () => call(`${provider.url}/chat/completions`, 'sk-fake', body, streamed));
          provider.received.length = 0;
          const gateway = await load(clients, () =>
            call(`${ledger.url}/gateway/v1/chat/completions`, key, body, streamed),
          );
          const ms = (n: number) => n.toFixed(2).padStart(7);
          rows.push(
            `${(streamed ? 'streamed (TTFT)' : 'whole').padEnd(16)} ${String(size / 1024).padStart(2)} KB ${String(clients).padStart(3)} callers | direct p50 ${ms(direct.p50)} p99 ${ms(direct.p99)} | gateway p50 ${ms(gateway.p50)} p99 ${ms(gateway.p99)} | added p50 ${ms(gateway.p50 - direct.p50)} p99 ${ms(gateway.p99 - direct.p99)} ms | throughput ${(gateway.rps / direct.rps).toFixed(2)}× (${gateway.rps.toFixed(0)}/${direct.rps.toFixed(0)} rps)${gateway.errors + direct.errors ? ` errors ${gateway.errors}/${direct.errors}` : ''}`,
          );
          console.log(rows.at(-1));
        }
    console.log(
      '\nGoal (issue 13): at 32 callers with 1 KB prompts, added p50 ≤ 5 ms, added p99 ≤ 25 ms, TTFT ≤ 10 ms later at p50.',
    );
  } finally {
    await admin.close();
    await ledger.close();
    await provider.close();
  }
}
