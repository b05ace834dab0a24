import { describe, expect, it } from 'vitest';
import { detect } from '../../../domain/prompt-analysis/detection/engine.js';
import { WORLD_CORPUS } from '../../fixtures/prompt-corpus-world.js';

/**
 * Precision and recall per entity over the labelled prompts of clients outside the US (and the network and payment
 * forms of engine version 4), each analysed with its client's regions and frameworks, at the score the default policy
 * acts on (0.5), counted as corpus.test.ts counts. The table is printed on every run.
 */
const THRESHOLD = 0.5;

describe('the labelled corpus of the world’s identifiers', () => {
  const tallies = new Map<string, { tp: number; fp: number; fn: number }>();
  const tally = (entity: string) => {
    if (!tallies.has(entity)) tallies.set(entity, { tp: 0, fp: 0, fn: 0 });
    return tallies.get(entity)!;
  };
  const mistakes: string[] = [];
  for (const { text, spans, options } of WORLD_CORPUS) {
    const found = detect(text, options).filter((f) => f.score >= THRESHOLD);
    for (const span of spans) {
      if (found.some((f) => f.entity === span.entity && f.start < span.end && span.start < f.end))
        tally(span.entity).tp++;
      else {
        tally(span.entity).fn++;
        mistakes.push(`missed ${span.entity} ${JSON.stringify(text.slice(span.start, span.end))}`);
      }
    }
    for (const f of found)
      if (!spans.some((s) => s.entity === f.entity && f.start < s.end && s.start < f.end)) {
        tally(f.entity).fp++;
        mistakes.push(
          `wrongly found ${f.entity} ${JSON.stringify(text.slice(f.start, f.end))} (${f.rule}, ${f.score})`,
        );
      }
  }
  const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);
  const rows = [...tallies].sort(([a], [b]) => a.localeCompare(b));
  const total = rows.reduce((s, [, t]) => ({ tp: s.tp + t.tp, fp: s.fp + t.fp, fn: s.fn + t.fn }), {
    tp: 0,
    fp: 0,
    fn: 0,
  });

  it('reports precision and recall per entity type', () => {
    const line = (name: string, t: { tp: number; fp: number; fn: number }) =>
      `${name.padEnd(22)} ${String(t.tp + t.fn).padStart(3)} labelled  precision ${ratio(t.tp, t.tp + t.fp).toFixed(2)}  recall ${ratio(t.tp, t.tp + t.fn).toFixed(2)}`;
    console.info(
      [
        `Detection on ${WORLD_CORPUS.length} labelled prompts with their clients' settings (score ≥ ${THRESHOLD})`,
        ...rows.map(([entity, t]) => line(entity, t)),
        line('all', total),
        ...mistakes,
      ].join('\n'),
    );
    expect(rows.length).toBeGreaterThanOrEqual(25);
  });

  it('finds at least 95% of what is labelled, and 95% of what it finds is labelled', () => {
    expect(ratio(total.tp, total.tp + total.fn)).toBeGreaterThanOrEqual(0.95);
    expect(ratio(total.tp, total.tp + total.fp)).toBeGreaterThanOrEqual(0.95);
  });

  it('finds nothing in the look-alikes, for a client of every jurisdiction', () => {
    const plain = WORLD_CORPUS.filter((c) => c.spans.length === 0);
    expect(plain.length).toBeGreaterThanOrEqual(3);
    for (const { text, options } of plain)
      expect(detect(text, options).filter((f) => f.score >= THRESHOLD)).toEqual([]);
  });
});
