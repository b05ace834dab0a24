import { describe, expect, it } from 'vitest';
import { detect } from '../../../domain/prompt-analysis/detection/engine.js';
import { CORPUS } from '../../fixtures/prompt-corpus.js';

/**
 * Precision and recall per entity over the labelled corpus, at the score the default policy acts on (0.5). A finding
 * counts as right when it overlaps a labelled span of the same entity. The table is printed on every run.
 */
const THRESHOLD = 0.5;

interface Tally {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

function evaluateCorpus() {
  const tallies = new Map<string, Tally>();
  const tally = (entity: string) =>
    tallies.get(entity) ??
    (tallies.set(entity, { truePositives: 0, falsePositives: 0, falseNegatives: 0 }), tallies.get(entity)!);
  const mistakes: string[] = [];
  for (const { text, spans } of CORPUS) {
    const found = detect(text).filter((f) => f.score >= THRESHOLD);
    for (const span of spans) {
      if (found.some((f) => f.entity === span.entity && f.start < span.end && span.start < f.end))
        tally(span.entity).truePositives++;
      else {
        tally(span.entity).falseNegatives++;
        mistakes.push(`missed ${span.entity} ${JSON.stringify(text.slice(span.start, span.end))}`);
      }
    }
    for (const f of found) {
      if (!spans.some((s) => s.entity === f.entity && f.start < s.end && s.start < f.end)) {
        tally(f.entity).falsePositives++;
        mistakes.push(
          `wrongly found ${f.entity} ${JSON.stringify(text.slice(f.start, f.end))} (${f.rule}, ${f.score})`,
        );
      }
    }
  }
  return { tallies, mistakes };
}

const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);

describe('the labelled corpus', () => {
  const { tallies, mistakes } = evaluateCorpus();
  const rows = [...tallies].sort(([a], [b]) => a.localeCompare(b));
  const total = rows.reduce(
    (sum, [, t]) => ({ tp: sum.tp + t.truePositives, fp: sum.fp + t.falsePositives, fn: sum.fn + t.falseNegatives }),
    { tp: 0, fp: 0, fn: 0 },
  );

  it('reports precision and recall per entity type', () => {
    const lines = rows.map(
      ([entity, t]) =>
        `${entity.padEnd(22)} ${String(t.truePositives + t.falseNegatives).padStart(3)} labelled  precision ${ratio(t.truePositives, t.truePositives + t.falsePositives).toFixed(2)}  recall ${ratio(t.truePositives, t.truePositives + t.falseNegatives).toFixed(2)}`,
    );
    console.info(
      [
        `Detection on ${CORPUS.length} labelled prompts (score ≥ ${THRESHOLD})`,
        ...lines,
        `${'all'.padEnd(22)} ${String(total.tp + total.fn).padStart(3)} labelled  precision ${ratio(total.tp, total.tp + total.fp).toFixed(2)}  recall ${ratio(total.tp, total.tp + total.fn).toFixed(2)}`,
        ...mistakes,
      ].join('\n'),
    );
    expect(rows.length).toBeGreaterThanOrEqual(30);
  });

  it('finds at least 95% of what is labelled, and 95% of what it finds is labelled', () => {
    expect(ratio(total.tp, total.tp + total.fn)).toBeGreaterThanOrEqual(0.95);
    expect(ratio(total.tp, total.tp + total.fp)).toBeGreaterThanOrEqual(0.95);
  });

  it('finds nothing in the business prompts whose numbers are not identifiers', () => {
    const plain = CORPUS.filter((c) => c.spans.length === 0);
    expect(plain.length).toBeGreaterThanOrEqual(4);
    for (const { text } of plain) expect(detect(text).filter((f) => f.score >= THRESHOLD)).toEqual([]);
  });
});
