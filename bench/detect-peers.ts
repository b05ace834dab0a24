/**
 * The engine beside the npm libraries a TypeScript team would pick instead, in the same run on the same texts: speed on
 * an 8 KB and a 64 KB mixed document, and names and street addresses found on the held-out set
 * (test/fixtures/names-held-out.ts). The peers are benchmark-only and optional: a peer that is not installed is
 * named and skipped (npm install --save-dev redact-pii@3.4.0 openredaction@1.1.5 compromise@14.17.0), or taken from
 * another folder's node_modules with BENCH_PEERS_DIR=/that/folder.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createDetector } from '../domain/prompt-analysis/detection/engine.js';
import * as heldOut from '../test/fixtures/names-held-out.js';
import { parseLabelled } from '../test/fixtures/prompt-corpus.js';
import { denseOf } from './detect.js';

type Spans = Array<[number, number]>;
interface Peer {
  name: string;
  /** Person and street-address spans; undefined where the peer only returns text (redact-pii). */
  find?(text: string): Promise<{ people: Spans; addresses: Spans }>;
  /** The redacted text, for a peer without offsets. */
  redact?(text: string): string;
  run(text: string): unknown;
}

// A specifier in a variable: the peers are not dependencies, so the type checker must not look for them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function optional(specifier: string): Promise<any> {
  try {
    const dir = process.env.BENCH_PEERS_DIR;
    return await import(
      dir ? pathToFileURL(createRequire(join(dir, 'package.json')).resolve(specifier)).href : specifier
    );
  } catch {
    return undefined;
  }
}

async function peers(): Promise<{ available: Peer[]; missing: string[] }> {
  const detect = createDetector();
  const spansOf = (text: string, entity: string): Spans =>
    detect(text)
      .filter((f) => f.entity === entity && f.score >= 0.5)
      .map((f) => [f.start, f.end]);
  const available: Peer[] = [
    {
      name: 'engine',
      find: async (text) => ({ people: spansOf(text, 'PERSON'), addresses: spansOf(text, 'US_STREET_ADDRESS') }),
      run: (text) => detect(text),
    },
  ];
  const missing: string[] = [];
  const redactPii = await optional('redact-pii');
  if (redactPii) {
    const redactor = new (redactPii.SyncRedactor ?? redactPii.default.SyncRedactor)();
    available.push({ name: 'redact-pii', redact: (t) => redactor.redact(t), run: (t) => redactor.redact(t) });
  } else missing.push('redact-pii');
  const openRedaction = await optional('openredaction');
  if (openRedaction) {
    const redactor = new openRedaction.OpenRedaction({ redactionMode: 'placeholder' });
    const pick = (detections: Array<{ type: string; position: [number, number] }>, type: RegExp): Spans =>
      detections.filter((d) => type.test(d.type)).map((d) => d.position);
    available.push({
      name: 'openredaction',
      find: async (text) => {
        const { detections } = await redactor.detect(text);
        return { people: pick(detections, /^(?:NAME|PERSON)/), addresses: pick(detections, /STREET/) };
      },
      run: (text) => redactor.detect(text),
    });
  } else missing.push('openredaction');
  const compromise = await optional('compromise');
  if (compromise) {
    const nlp = compromise.default ?? compromise;
    available.push({
      name: 'compromise people()',
      find: async (text) => ({
        people: nlp(text)
          .people()
          .out('offset')
          .map((p: { offset: { start: number; length: number } }) => [
            p.offset.start,
            p.offset.start + p.offset.length,
          ]),
        addresses: [],
      }),
      run: (text) => nlp(text).people().out('offset'),
    });
  } else missing.push('compromise');
  return { available, missing };
}

async function accuracy(
  peer: Peer,
  entity: 'PERSON' | 'US_STREET_ADDRESS',
  positives: readonly string[],
  lookAlikes: readonly string[],
) {
  const [placeholder, key] =
    entity === 'PERSON' ? (['PERSON_NAME', 'people'] as const) : (['STREET_ADDRESS', 'addresses'] as const);
  let [found, labelled, flagged] = [0, 0, 0];
  for (const marked of [...positives, ...lookAlikes]) {
    const { text, spans } = parseLabelled(marked);
    const wanted = spans.filter((s) => s.entity === entity);
    if (peer.find) {
      const hits = (await peer.find(text))[key];
      for (const s of wanted) if (hits.some(([a, b]) => a < s.end && s.start < b)) found++;
      if (wanted.length === 0 && hits.length > 0) flagged++;
    } else {
      // Text out only: a value is found when its first word is gone; a look-alike flagged when a placeholder appears.
      const out = peer.redact!(text);
      for (const s of wanted) if (!out.includes(text.slice(s.start, s.end).split(/[ ,]/)[0]!)) found++;
      if (wanted.length === 0 && out.includes(placeholder)) flagged++;
    }
    labelled += wanted.length;
  }
  return `${found}/${labelled} (${(found / labelled).toFixed(2)}), ${flagged}/${lookAlikes.length} look-alikes flagged`;
}

async function meanMs(work: (text: string) => unknown, text: string, budgetMs: number): Promise<number> {
  for (let i = 0; i < 3; i++) await work(text);
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < budgetMs || count < 5) {
    await work(text);
    count++;
  }
  return (performance.now() - started) / count;
}

export async function comparePeers(): Promise<void> {
  const { available, missing } = await peers();
  console.log(
    '\nBeside the peers, same run, same texts' +
      (missing.length ? ` (not installed, skipped: ${missing.join(', ')})` : ''),
  );
  for (const size of [8192, 65536]) {
    const text = denseOf(size);
    const times: string[] = [];
    for (const peer of available) times.push(`${peer.name} ${(await meanMs(peer.run, text, 1000)).toFixed(2)} ms`);
    console.log(`dense ${String(size / 1024).padStart(2)} KB mean: ${times.join('  ')}`);
  }
  console.log(
    'Held-out names (first set; second set) and street addresses, found and look-alikes flagged, score ≥ 0.5',
  );
  for (const peer of available)
    console.log(
      `${peer.name.padEnd(20)} names ${await accuracy(peer, 'PERSON', heldOut.NAME_SENTENCES, heldOut.NAME_LOOK_ALIKES)}; ` +
        `${await accuracy(peer, 'PERSON', heldOut.NAME_SENTENCES_SECOND, heldOut.NAME_LOOK_ALIKES_SECOND)}  ` +
        `addresses ${await accuracy(peer, 'US_STREET_ADDRESS', heldOut.ADDRESS_SENTENCES, heldOut.ADDRESS_LOOK_ALIKES)}`,
    );
}
