import { clusterAt, forEachSpan, type Span } from './cluster.js';
import type { Finding } from './entities.js';
import { personName, clinicalSpanRecognizers } from './recognizers/clinical.js';
import { customPatternRecognizer, type CustomPattern } from './recognizers/custom.js';
import { identifierRecognizers } from './recognizers/identifiers.js';
import {
  bareDomain,
  emailAddress,
  hexAddresses,
  letterMacAddress,
  networkSpanRecognizers,
  phoneNumber,
  url,
} from './recognizers/network.js';
import { jurisdictions, nationalRecognizers } from './recognizers/national.js';
import { numberRecognizers } from './recognizers/numbers.js';
import { dayMonthYear } from './recognizers/person-dates.js';
import { personNameInText } from './recognizers/person-names.js';
import type { ClusterRecognizer, SpanRecognizer, TextRecognizer } from './recognizers/recognizer.js';
import { privateKey, secretTokens } from './recognizers/secrets.js';
import { usStreetAddress } from './recognizers/street-address.js';
import { Scan } from './scan.js';

export interface DetectorOptions {
  /** ISO 3166-1 alpha-2 regions for phone numbers written without a country code. Default: US. */
  regions?: readonly string[];
  /** The frameworks the client is held to: GDPR brings the EU member states' identifiers. */
  frameworks?: readonly string[];
  /** The client's own patterns, from its AI usage policy. */
  customPatterns?: readonly CustomPattern[];
}

/** Bumped whenever recognizers change what they find: recorded with each analysis, so old results stay explainable. */
export const ENGINE_VERSION = 4;

const SPAN_RECOGNIZERS: readonly SpanRecognizer[] = [
  ...numberRecognizers(),
  ...identifierRecognizers(),
  ...clinicalSpanRecognizers(),
  ...networkSpanRecognizers(),
  dayMonthYear,
  ...nationalRecognizers(),
];
/** Span recognizers by span length and kind: [length][0] for digits only, [length][1] for letters and digits. */
const BY_SHAPE: ReadonlyArray<readonly [SpanRecognizer[], SpanRecognizer[]]> = Array.from({ length: 35 }, (_, n) => [
  SPAN_RECOGNIZERS.filter((r) => r.length[0] <= n && n <= r.length[1] && r.kind !== 'alnum'),
  SPAN_RECOGNIZERS.filter((r) => r.length[0] <= n && n <= r.length[1] && r.kind !== 'numeric'),
]);
const CLUSTER_RECOGNIZERS: readonly ClusterRecognizer[] = [phoneNumber, hexAddresses, secretTokens];
const TEXT_RECOGNIZERS: readonly TextRecognizer[] = [
  emailAddress,
  url,
  bareDomain,
  letterMacAddress,
  privateKey,
  personName,
  personNameInText,
  usStreetAddress,
];

/** Text between two steps of the search around digits: a few milliseconds where every character is a digit. */
const STEP_CHARACTERS = 4096;

export interface Detector {
  (text: string): Finding[];
  /**
   * The same detection in steps of bounded work (a few milliseconds on the longest prompt), for a caller that lets
   * other work run between them: the generator returns the findings.
   */
  steps(text: string): Generator<void, Finding[], void>;
}

/**
 * Builds a detector for one client's settings. Detection is pure and linear in the length of the text: one search for
 * digits, around which every identifier with a digit is examined, and a few literal searches ("@", "://", PEM armour,
 * name cues) for the rest; the client's own patterns, each in one pass. Overlapping findings resolve to the most
 * certain one.
 */
export function createDetector(options: DetectorOptions = {}): Detector {
  const regions = options.regions?.length ? options.regions : ['US'];
  const countries = jurisdictions(regions, options.frameworks ?? []);
  const custom = options.customPatterns?.length ? customPatternRecognizer(options.customPatterns) : undefined;
  function* steps(text: string): Generator<void, Finding[], void> {
    const scan = new Scan(text, regions, countries);
    const spans = {
      visit(span: Span) {
        const candidates = BY_SHAPE[span.compact.length];
        if (candidates) for (const recognizer of candidates[span.numeric ? 0 : 1]) recognizer.recognize(span, scan);
      },
    };
    const digit = /\d/g;
    let floor = 0;
    let pause = STEP_CHARACTERS;
    for (let found = digit.exec(text); found; found = digit.exec(text)) {
      const cluster = clusterAt(text, found.index, floor);
      floor = cluster.end;
      for (const recognize of CLUSTER_RECOGNIZERS) recognize(cluster, scan);
      forEachSpan(text, cluster, spans);
      digit.lastIndex = Math.max(cluster.end, found.index + 1);
      if (cluster.end >= pause) {
        pause = cluster.end + STEP_CHARACTERS;
        yield;
      }
    }
    for (const recognize of TEXT_RECOGNIZERS) {
      yield;
      recognize(scan);
    }
    if (custom) yield* custom(scan);
    return resolveOverlaps(scan.findings);
  }
  const detector = (text: string) => {
    const run = steps(text);
    for (let step = run.next(); ; step = run.next()) if (step.done) return step.value;
  };
  return Object.assign(detector, { steps });
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
