import type { Cluster, Span } from '../cluster.js';
import type { Scan } from '../scan.js';

/**
 * Recognizers come in three kinds, by where they look:
 * - span recognizers see each run of groups in a digit cluster (card numbers, SSNs, IBANs written in groups);
 * - cluster recognizers see each digit cluster whole (phone numbers, space-free keys and tokens);
 * - text recognizers scan the whole text for what has no digit to start from (e-mail, URLs, names, PEM keys).
 * Every regular expression they use is linear: bounded repetition, no nested or overlapping quantifiers.
 */
export interface SpanRecognizer {
  /** The lengths of span (letters and digits only) it can recognise. */
  length: readonly [min: number, max: number];
  /** Digits only, letters and digits (at least one letter), or either. */
  kind: 'numeric' | 'alnum' | 'any';
  recognize(span: Span, scan: Scan): void;
}

/** A span recognizer, with the shapes it can match declared, so that the engine only calls it for those. */
export function spanRecognizer(
  length: readonly [number, number],
  kind: SpanRecognizer['kind'],
  recognize: SpanRecognizer['recognize'],
): SpanRecognizer {
  return { length, kind, recognize };
}
export type ClusterRecognizer = (cluster: Cluster, scan: Scan) => void;
export type TextRecognizer = (scan: Scan) => void;

/** The same separator between every group, or none: how people write identifiers. */
export function uniform(span: Span, allowed: string): boolean {
  return span.separators.every((s) => s === span.separators[0] && allowed.includes(s));
}

export function shapeIs(span: Span, ...shapes: number[][]): boolean {
  return shapes.some((shape) => shape.length === span.shape.length && shape.every((n, i) => n === span.shape[i]));
}
