import { clusterAt, forEachSpan, type Span } from './cluster.js';
import type { Finding } from './entities.js';
import { personName, clinicalSpanRecognizers } from './recognizers/clinical.js';
import { customPatternRecognizer, type CustomPattern } from './recognizers/custom.js';
import { identifierRecognizers } from './recognizers/identifiers.js';
import { emailAddress, hexAddresses, networkSpanRecognizers, phoneNumber, url } from './recognizers/network.js';
import { numberRecognizers } from './recognizers/numbers.js';
import type { ClusterRecognizer, SpanRecognizer, TextRecognizer } from './recognizers/recognizer.js';
import { privateKey, secretTokens } from './recognizers/secrets.js';
import { Scan } from './scan.js';

export interface DetectorOptions {
  /** ISO 3166-1 alpha-2 regions for phone numbers written without a country code. Default: US. */
  regions?: readonly string[];
  /** The client's own patterns, from its AI usage policy. */
  customPatterns?: readonly CustomPattern[];
}

/** Bumped whenever recognizers change what they find: recorded with each analysis, so old results stay explainable. */
export const ENGINE_VERSION = 1;

const SPAN_RECOGNIZERS: readonly SpanRecognizer[] = [
  ...numberRecognizers(),
  ...identifierRecognizers(),
  ...clinicalSpanRecognizers(),
  ...networkSpanRecognizers(),
];
/** Span recognizers by span length and kind: [length][0] for digits only, [length][1] for letters and digits. */
const BY_SHAPE: ReadonlyArray<readonly [SpanRecognizer[], SpanRecognizer[]]> = Array.from({ length: 35 }, (_, n) => [
  SPAN_RECOGNIZERS.filter((r) => r.length[0] <= n && n <= r.length[1] && r.kind !== 'alnum'),
  SPAN_RECOGNIZERS.filter((r) => r.length[0] <= n && n <= r.length[1] && r.kind !== 'numeric'),
]);
const CLUSTER_RECOGNIZERS: readonly ClusterRecognizer[] = [phoneNumber, hexAddresses, secretTokens];
const TEXT_RECOGNIZERS: readonly TextRecognizer[] = [emailAddress, url, privateKey, personName];

export type Detector = (text: string) => Finding[];

/**
 * Builds a detector for one client's settings. Detection is pure and linear in the length of the text: one search for
 * digits, around which every identifier with a digit is examined, and a few literal searches ("@", "://", PEM armour,
 * name cues) for the rest. Overlapping findings resolve to the most certain one.
 */
export function createDetector(options: DetectorOptions = {}): Detector {
  const regions = options.regions?.length ? options.regions : ['US'];
  const textRecognizers = options.customPatterns?.length
    ? [...TEXT_RECOGNIZERS, customPatternRecognizer(options.customPatterns)]
    : TEXT_RECOGNIZERS;
  return (text) => {
    const scan = new Scan(text, regions);
    const spans = {
      visit(span: Span) {
        const candidates = BY_SHAPE[span.compact.length];
        if (candidates) for (const recognizer of candidates[span.numeric ? 0 : 1]) recognizer.recognize(span, scan);
      },
    };
    const digit = /\d/g;
    let floor = 0;
    for (let found = digit.exec(text); found; found = digit.exec(text)) {
      const cluster = clusterAt(text, found.index, floor);
      floor = cluster.end;
      for (const recognize of CLUSTER_RECOGNIZERS) recognize(cluster, scan);
      forEachSpan(text, cluster, spans);
      digit.lastIndex = Math.max(cluster.end, found.index + 1);
    }
    for (const recognize of textRecognizers) recognize(scan);
    return resolveOverlaps(scan.findings);
  };
}

/** Detects with default settings. */
export function detect(text: string, options?: DetectorOptions): Finding[] {
  return createDetector(options)(text);
}

/**
 * Keeps the best of overlapping findings: the highest score, then the longest, then the earliest. The result is in
 * text order.
 */
export function resolveOverlaps(findings: readonly Finding[]): Finding[] {
  const ranked = [...findings].sort(
    (a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start,
  );
  const kept: Finding[] = []; // sorted by start, never overlapping
  for (const finding of ranked) {
    // The first kept finding that ends after this one starts is the only one that could overlap it.
    let low = 0;
    let high = kept.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (kept[mid]!.end <= finding.start) low = mid + 1;
      else high = mid;
    }
    if (low < kept.length && kept[low]!.start < finding.end) continue;
    kept.splice(low, 0, finding);
  }
  return kept;
}
