/**
 * Prompt analysis speed.
 * 1. The detection engine on 1 KB, 8 KB and 64 KB prompts, beside a baseline measured on the same texts in the same
 *    run: one pass of a single simple regular expression (an SSN pattern), what the cheapest possible detector costs.
 *    Two kinds of text: "dense", the labelled corpus repeated (clinical notes, tickets, code with keys: an identifier
 *    every 90 characters), and "prose", mostly plain paragraphs with a line of the corpus now and then.
 * 2. Linearity: hostile inputs (long digit runs, thousands of "@", PEM armour, one huge token) at 64 KB and 640 KB.
 *    Hostile custom patterns, each in the one-pass matcher at 64 KB and 640 KB, beside the loop around re2js's find()
 *    it replaced, at 4 KB and 8 KB; then a policy at the instruction budget on a 64 KB prompt, in steps.
 * 3. End to end: POST /analyze/prompt with an 8 KB prompt (detect, decide, append) at 32 concurrent clients on
 *    PostgreSQL, beside a bare Express route echoing the same body.
 *
 *   npm run bench -- detect      (DATABASE_URL picks the server; BENCH_SECONDS=10 to measure longer)
 */
import { RE2JS } from 're2js';
import { createDetector } from '../domain/prompt-analysis/detection/engine.js';
import { LongestMatcher } from '../domain/prompt-analysis/detection/longest-matches.js';
import { CORPUS } from '../test/fixtures/prompt-corpus.js';
import { comparePeers } from './detect-peers.js';
import { benchLedger, echoBaseline, load, seconds } from './http-load.js';

const CLIENTS = 32;
const detect = createDetector();
const BASELINE = /\b\d{3}-\d{2}-\d{4}\b/g;

function baseline(text: string): number {
  let count = 0;
  BASELINE.lastIndex = 0;
  while (BASELINE.exec(text)) count++;
  return count;
}

/** The labelled corpus (dense: an identifier every 90 characters), repeated to the given size. */
export function denseOf(size: number): string {
  const corpus = CORPUS.map((c) => c.text).join('\n\n');
  let text = '';
  while (text.length < size) text += `${corpus}\n\n`;
  return text.slice(0, size);
}

const PROSE =
  'The quarterly review covered the migration of the billing platform, the onboarding of three new clinics and the plan for the next audit cycle. ' +
  'Engineers reported that the queue latency improved after the change to the retry policy, and the support team asked for clearer guidance on escalation paths. ';

/** Mostly prose, as most prompts are: two paragraphs, then a line of the corpus, over and over. */
function proseOf(size: number): string {
  let text = '';
  for (let i = 0; text.length < size; i++) text += `${PROSE}${PROSE}${CORPUS[i % CORPUS.length]!.text.slice(0, 200)}\n`;
  return text.slice(0, size);
}

interface Timing {
  p50: number;
  p99: number;
  mean: number;
}

/** Times `work` over and over for about `budgetMs`, after a warm-up; milliseconds. */
function time(work: () => unknown, budgetMs: number): Timing {
  for (let i = 0; i < 20; i++) work();
  const samples: number[] = [];
  const until = performance.now() + budgetMs;
  while (performance.now() < until || samples.length < 30) {
    const started = performance.now();
    work();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50: at(0.5), p99: at(0.99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

const ms = (n: number) => `${n < 1 ? (n * 1000).toFixed(0).padStart(5) + ' µs' : n.toFixed(2).padStart(6) + ' ms'}`;
const mbps = (bytes: number, meanMs: number) => `${(bytes / 1e6 / (meanMs / 1000)).toFixed(1).padStart(7)} MB/s`;

function engine(): void {
  console.log(
    'Detection engine (all recognizers, default settings) against one pass of /\\b\\d{3}-\\d{2}-\\d{4}\\b/g over the same text',
  );
  for (const [kind, make] of [
    ['dense', denseOf],
    ['prose', proseOf],
  ] as const) {
    for (const size of [1024, 8192, 65536]) {
      const text = make(size);
      const findings = detect(text).length;
      const full = time(() => detect(text), 1500);
      const base = time(() => baseline(text), 500);
      console.log(
        `${kind} ${String(size / 1024).padStart(2)} KB  engine p50 ${ms(full.p50)} p99 ${ms(full.p99)} ${mbps(size, full.mean)}  ` +
          `baseline p50 ${ms(base.p50)} ${mbps(size, base.mean)}  ratio ${(full.mean / base.mean).toFixed(0).padStart(4)}×  (${findings} findings)`,
      );
    }
  }
}

function linearity(): void {
  console.log('\nHostile inputs: time per KB should stay flat from 64 KB to 640 KB');
  const hostile: Record<string, (n: number) => string> = {
    'digits and dashes': (n) => '1-'.repeat(n / 2),
    'one long token': (n) => 'aB3'.repeat(n / 3),
    'many @': (n) => 'a@'.repeat(n / 2),
    'PEM armour': (n) => '-----BEGIN RSA PRIVATE KEY-----\n'.repeat(n / 32),
    'name cues': (n) => 'Mr. Ab '.repeat(n / 7),
    'capitalised words': (n) => 'Ab Cd, '.repeat(n / 7),
    'house numbers': (n) => '1 Ab St '.repeat(n / 8),
    'URL schemes': (n) => 'http://'.repeat(n / 7),
    'spaced digits': (n) => '1 '.repeat(n / 2),
  };
  for (const [name, make] of Object.entries(hostile)) {
    const small = make(65536);
    const large = make(655360);
    const a = time(() => detect(small), 300).mean;
    const b = time(() => detect(large), 300).mean;
    console.log(
      `${name.padEnd(18)} 64 KB ${ms(a)}  640 KB ${ms(b)}  per-KB growth ${(b / 640 / (a / 64)).toFixed(2)}×  (${mbps(655360, b)})`,
    );
  }
}

function customPatterns(): void {
  console.log(
    '\nHostile custom patterns, each alone in the one-pass matcher (the detector refuses a prompt past 1,000 matches)',
  );
  const hostile: Array<[pattern: string, make: (n: number) => string]> = [
    ['x.*y|x', (n) => 'x'.repeat(n)], // the reported one: every x a match, and x.*y alive to the end
    ['x{100}.*y|x{100}', (n) => 'x'.repeat(n)],
    ['(?:a|aa|aaa)*b', (n) => 'a'.repeat(n)],
    ['[A-Z]{2}\\d+', (n) => 'AB1 '.repeat(n / 4)],
    ['[xy]{880}x', (n) => 'x'.repeat(n)], // 883 instructions, all alive at every character
  ];
  for (const [pattern, make] of hostile) {
    const matcher = new LongestMatcher(RE2JS.compile(pattern));
    const scan = (text: string) => matcher.matches(text, 256, () => {});
    const [small, large] = [make(65536), make(655360)];
    const a = time(() => scan(small), 300).mean;
    const b = time(() => scan(large), 300).mean;
    console.log(
      `${pattern.padEnd(18)} 64 KB ${ms(a)}  640 KB ${ms(b)}  per-KB growth ${(b / 640 / (a / 64)).toFixed(2)}×  (${matcher.size} instructions)`,
    );
  }
  // The loop it replaced, measured once: quadratic, so twice the text takes four times as long.
  const loop = (text: string) => {
    const started = performance.now();
    const matcher = RE2JS.compile('x.*y|x').matcher(text);
    while (matcher.find());
    return performance.now() - started;
  };
  loop('x'.repeat(1024));
  const [four, eight] = [loop('x'.repeat(4096)), loop('x'.repeat(8192))];
  console.log(
    `baseline: loop around re2js find(), x.*y|x  4 KB ${ms(four)}  8 KB ${ms(eight)}  per-KB growth ${(eight / 8 / (four / 4)).toFixed(2)}×`,
  );

  // The most a policy may cost (its patterns together compile to 1,000 instructions), on the longest default prompt.
  const atBudget = createDetector({ customPatterns: [{ entity: 'COSTLY', pattern: '(?:[a-z]|b){990}', score: 0.5 }] });
  const text = 'a'.repeat(65536);
  atBudget(text.slice(0, 1000));
  const steps = atBudget.steps(text);
  let [count, longest, total] = [0, 0, 0];
  for (let done = false; !done; count++) {
    const started = performance.now();
    done = steps.next().done === true;
    const took = performance.now() - started;
    [longest, total] = [Math.max(longest, took), total + took];
  }
  console.log(
    `policy at the budget, (?:[a-z]|b){990} on 64 KB of "a": ${ms(total)} in ${count} steps, the longest ${ms(longest)}`,
  );
}

async function endToEnd(): Promise<void> {
  const prompt = denseOf(8192);
  console.log(
    `\nPOST /analyze/prompt, 8 KB prompt, ${CLIENTS} concurrent clients and then one, ${seconds} s each after 1 s of warm-up`,
  );
  const echo = await echoBaseline(CLIENTS, JSON.stringify({ clientId: 'x', aiServiceId: 'y', prompt }));
  const ledger = await benchLedger('postgres');
  try {
    const { clientId } = (
      (await (
        await ledger.post('/clients', { name: 'Clinic', industry: 'health', size: '11-50', frameworks: ['hipaa'] })
      ).json()) as { data: { clientId: string } }
    ).data;
    const { aiServiceId } = (
      (await (
        await ledger.post('/ai-services', {
          name: 'Chat',
          vendor: 'V',
          models: ['m'],
          baaSigned: true,
          dpaSigned: true,
          dataRetentionDays: 0,
        })
      ).json()) as { data: { aiServiceId: string } }
    ).data;
    await ledger.post(`/clients/${clientId}/ai-services/${aiServiceId}/approve`, { reason: 'bench' });
    const body = JSON.stringify({ clientId, aiServiceId, prompt });
    const analyze = (clients: number) =>
      load(clients, () =>
        fetch(`${ledger.api}/analyze/prompt`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${ledger.token}` },
          body,
        }),
      );
    const crowded = await analyze(CLIENTS);
    // One client at a time: the latency of the request itself, without waiting behind 31 others for the CPU.
    const alone = await analyze(1);
    const line = (name: string, f: typeof echo) =>
      console.log(
        `${name.padEnd(40)} ${f.rps.toFixed(0).padStart(6)} req/s  p50 ${f.p50.toFixed(1).padStart(6)} ms  p99 ${f.p99.toFixed(1).padStart(6)} ms${f.errors ? `  (${f.errors} errors)` : ''}`,
      );
    line(`baseline: POST /echo (bare Express), ${CLIENTS}`, echo);
    line(`POST /analyze/prompt (PostgreSQL), ${CLIENTS}`, crowded);
    line('POST /analyze/prompt (PostgreSQL), 1', alone);
    console.log(
      `p99 ratio ${(crowded.p99 / echo.p99).toFixed(1)}× the echo at ${CLIENTS} clients; goal: p99 under 20 ms`,
    );
  } finally {
    await ledger.close();
  }
}

export async function run(): Promise<void> {
  engine();
  await comparePeers();
  linearity();
  customPatterns();
  await endToEnd();
}
