import { isAlnum, isDigit } from './scan.js';

/**
 * Every identifier with a digit in it (numbers, codes, keys, addresses) is found from that digit: the engine looks for
 * digits, and around each one gathers a cluster, the run of groups of letters and digits joined by the separators
 * people type in identifiers ("4111 1111 1111 1111", "123-45-6789", "(415) 555-2671", "eyJ...J9.eyJ...").
 * Recognizers then look only at clusters, which keeps the engine linear in the length of the text.
 */
export interface Group {
  start: number;
  end: number;
}

export interface Cluster {
  start: number;
  end: number;
  /** Runs of letters, digits and underscores, in order. */
  groups: Group[];
  /** Space-free parts of the cluster: where keys, tokens and addresses live. */
  words: Group[];
}

/** Characters that join groups within one word (passwords use the odd ones). */
const JOINERS = new Set('-./:_+=~%#!$&*^@'.split('').map((c) => c.charCodeAt(0)));
const SPACE = 32;
const OPEN = 40;
const CLOSE = 41;
/** Tokens longer than this are not identifiers but data (base64 blobs); PEM keys are found separately. */
const MAX_CLUSTER = 4096;

const groupChar = (code: number): boolean => isAlnum(code) || code === 95; /* _ */

function hasDigit(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (isDigit(text.charCodeAt(i))) return true;
  return false;
}

function isUpperRun(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code < 65 || code > 90) return false;
  }
  return true;
}

/** A run of whole groups within a cluster: where identifiers written with separators are looked for. */
export interface Span {
  start: number;
  end: number;
  /** The span as written. */
  raw: string;
  /** Letters and digits only: "123-45-6789" is "123456789". */
  compact: string;
  /** compact is all digits. */
  numeric: boolean;
  /** The lengths of the span's groups, such as [3, 2, 4]. */
  shape: number[];
  /** The separators between the groups, such as ["-", "-"]. */
  separators: string[];
}

/** Identifiers are at most 34 characters without separators (an IBAN) and at most 9 groups (IPv6, IBAN). */
const MAX_SPAN_CHARS = 34;
const MAX_SPAN_GROUPS = 9;

export interface SpanVisitor {
  visit(span: Span): void;
}

/** Shows the visitor every run of whole groups of the cluster that is short enough to be one identifier. */
export function forEachSpan(text: string, cluster: Cluster, visitor: SpanVisitor): void {
  const { groups } = cluster;
  for (let i = 0; i < groups.length; i++) {
    let compact = '';
    let numeric = true;
    let shape: number[] = [];
    let separators: string[] = [];
    const start = groups[i]!.start;
    for (let j = i; j < groups.length && j - i < MAX_SPAN_GROUPS; j++) {
      const group = groups[j]!;
      const value = text.slice(group.start, group.end);
      if (j > i) separators = [...separators, text.slice(groups[j - 1]!.end, group.start)];
      compact += value.includes('_') ? value.replaceAll('_', '') : value;
      numeric &&= isDigits(value);
      shape = [...shape, group.end - group.start];
      if (compact.length > MAX_SPAN_CHARS) break;
      visitor.visit({ start, end: group.end, raw: text.slice(start, group.end), compact, numeric, shape, separators });
    }
  }
}

function isDigits(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (!isDigit(value.charCodeAt(i))) return false;
  return true;
}

/** The cluster around the digit at `at`, starting no earlier than `floor` (the end of the previous cluster). */
export function clusterAt(text: string, at: number, floor = 0): Cluster {
  let start = at;
  // Back to the start of the word, across joiners: the digit may sit in the middle of a token.
  while (start > floor) {
    const code = text.charCodeAt(start - 1);
    if (groupChar(code)) start--;
    else if (JOINERS.has(code) && start - 1 > floor && groupChar(text.charCodeAt(start - 2))) start--;
    else break;
  }
  while (start < at && !groupChar(text.charCodeAt(start))) start++;

  const groups: Group[] = [];
  const words: Group[] = [];
  let wordStart = start;
  let i = start;
  for (;;) {
    const groupStart = i;
    while (i < text.length && groupChar(text.charCodeAt(i))) i++;
    groups.push({ start: groupStart, end: i });
    if (i - start > MAX_CLUSTER) break;
    // A separator run: joiners keep the word going; a space (or the ") " of a phone number) may join another group
    // only if that group has a digit, so that "415 555 2671 or" stops before "or".
    let j = i;
    let spaced = false;
    while (j < text.length && j - i < 3) {
      const code = text.charCodeAt(j);
      if (code === SPACE || code === OPEN || code === CLOSE) spaced ||= code === SPACE;
      else if (!JOINERS.has(code)) break;
      j++;
    }
    if (j === i || j >= text.length || !groupChar(text.charCodeAt(j))) break;
    if (spaced) {
      let next = j;
      while (next < text.length && groupChar(text.charCodeAt(next))) next++;
      // IBANs are written in groups of four, some of them all letters ("GB82 WEST 1234 ...").
      if (!hasDigit(text, j, next) && !(next - j === 4 && isUpperRun(text, j, next))) break;
      words.push({ start: wordStart, end: i });
      wordStart = j;
    }
    i = j;
  }
  words.push({ start: wordStart, end: i });
  return { start, end: i, groups, words };
}
