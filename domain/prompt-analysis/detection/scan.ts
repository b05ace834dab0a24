import type { Finding } from './entities.js';

/** How far before a match context words are looked for, and how far after. */
const CONTEXT_BEFORE = 48;
const CONTEXT_AFTER = 24;
const MAX_BEFORE = 64;

/** A score without context words nearby, and with them. Plausible but unvalidated matches stay low without context. */
export interface Scores {
  base: number;
  context: number;
}

/** One pass over one text: recognizers read the text through it and report what they find. */
export class Scan {
  readonly findings: Finding[] = [];

  constructor(
    readonly text: string,
    /** ISO 3166-1 regions for numbers written without a country code. */
    readonly regions: readonly string[],
    /** Jurisdictions whose national identifiers are looked for without a cue (recognizers/national.ts). */
    readonly countries: ReadonlySet<string> = new Set(),
  ) {}

  // Recognizers look back from the same start again and again (every span of a cluster, every context check): the
  // window is lower-cased once per start.
  private windowStart = -1;
  private window = '';

  /** The lower-cased text just before `start` (at most 64 characters): where labels such as "SSN:" are written. */
  before(start: number, length = CONTEXT_BEFORE): string {
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.window = this.text.slice(Math.max(0, start - MAX_BEFORE), start).toLowerCase();
    }
    return length >= this.window.length ? this.window : this.window.slice(this.window.length - length);
  }

  after(end: number, length = CONTEXT_AFTER): string {
    return this.text.slice(end, end + length).toLowerCase();
  }

  /** Context words matched as whole words near the span. */
  hasContext(start: number, end: number, words: RegExp): boolean {
    return words.test(this.before(start)) || words.test(this.after(end));
  }

  add(entity: string, start: number, end: number, score: number, rule: string): void {
    if (end > start && score > 0)
      this.findings.push({ entity, start, end, score: Math.min(1, Math.round(score * 100) / 100), rule });
  }

  /** Adds with the base score, or the context score when a context word is near. */
  addScored(entity: string, start: number, end: number, scores: Scores, rule: string, context?: RegExp): void {
    const score = context && this.hasContext(start, end, context) ? scores.context : scores.base;
    this.add(entity, start, end, score, rule);
  }
}

/** A whole-word, case-insensitive alternation of context words, for Scan.hasContext. */
export function words(...list: string[]): RegExp {
  return new RegExp(`(?:^|[^a-z0-9])(?:${list.join('|')})(?![a-z])`);
}

export const isDigit = (code: number): boolean => code >= 48 && code <= 57;
export const isLetter = (code: number): boolean => (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
export const isAlnum = (code: number): boolean => isDigit(code) || isLetter(code);
