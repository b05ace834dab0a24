import type { Finding } from '../domain/prompt-analysis/detection/entities.js';
import { CHANGES_TEXT } from '../domain/prompt-analysis/prompt-analysis.js';
import type { AssessedFinding } from '../domain/prompt-analysis/usage-policy.js';
import type { ChatTurn, ContentPart } from './types.js';

/**
 * A request's texts as one prompt: every string of it that reaches the provider — each message's text (string
 * content and text parts), its name and refusal, every tool call's id, name and arguments, every tool result, and
 * the strings inside the forwarded parameters (stop sequences, tool definitions, a response format's schema) —
 * joined by blank lines, so that they are analysed in one PromptAnalyzed exactly as POST /analyze/prompt analyses
 * one prompt. Each text remembers where it sits, so that findings map back to it.
 */
export interface Segment {
  /** Where the text comes from: a setter that puts its new (redacted) text back in a copy of the request. */
  put: (request: Outgoing, text: string) => void;
  /** The text as analysed and as it leaves: normalised (normalizeForAnalysis). */
  text: string;
  /** What joins it to the text before in the prompt: a blank line, or nothing (a message's next text part). */
  before: string;
  /** Whether normalising changed it: then it is put back even when nothing was found in it. */
  changed: boolean;
  start: number;
}

/** What leaves for the provider: the messages and the forwarded parameters. */
export interface Outgoing {
  messages: ChatTurn[];
  parameters: Record<string, unknown>;
}

const SEPARATOR = '\n\n';

export interface Extracted {
  /** What is analysed: the segments' texts, joined, underscores read as spaces. */
  prompt: string;
  segments: Segment[];
  /** Message parts the engine cannot read (images, audio, files), by type. */
  unanalysable: string[];
}

// Format characters (zero-width spaces, joiners, bidi marks) hide an identifier from any pattern; the joiners stay
// where a script needs them, between letters that are not ASCII. So do controls (but tab and line breaks),
// variation selectors, the grapheme joiner and the Hangul fillers, which show as nothing.
const INVISIBLE = /\p{Cf}|\p{Cc}|\u034f|\u115f|\u1160|\u3164|\uffa0|\p{Variation_Selector}/gu;
const KEPT_CONTROLS = new Set(['\t', '\n', '\r']);
const JOINER = /[\u200c\u200d]/;
const NON_ASCII_LETTER = /[^\p{ASCII}]/u;
/** Marks left on an ASCII digit or letter after NFKC composed what it could: nothing a word needs. */
const MARK_ON_ASCII = /(?<=[0-9A-Za-z@.])\p{M}+/gu;
const DASH_BETWEEN_DIGITS = /(?<=\d)[\p{Pd}\u2212\u2043\u02d7\u2796](?=\d)/gu;
const LINE_SEPARATORS = /[\u2028\u2029]/g;
const OTHER_DIGIT = /(?![0-9])\p{Nd}/gu;

/** A decimal digit of any script as its ASCII digit: digits come in runs of ten from zero (Unicode's promise). */
function asciiDigit(digit: string): string {
  let zero = digit.codePointAt(0)!;
  while (/\p{Nd}/u.test(String.fromCodePoint(zero - 1))) zero--;
  return String((digit.codePointAt(0)! - zero) % 10);
}

/**
 * The text the gateway analyses and forwards: NFKC (full-width digits and letters become ASCII, compatibility forms
 * fold), the digits of other scripts as ASCII digits, invisible characters taken out, marks on ASCII characters
 * dropped, line separators as line breaks, and any dash between two digits written as a hyphen. What is analysed is
 * exactly what leaves, so that these spellings of a value do not get past the engine by looking different to it.
 */
export function normalizeForAnalysis(text: string): string {
  const folded = text.normalize('NFKC');
  const visible = folded.replace(INVISIBLE, (mark, at: number) =>
    KEPT_CONTROLS.has(mark) ||
    (JOINER.test(mark) && NON_ASCII_LETTER.test(folded[at - 1] ?? '') && NON_ASCII_LETTER.test(folded[at + 1] ?? ''))
      ? mark
      : '',
  );
  return visible
    .replace(OTHER_DIGIT, asciiDigit)
    .replace(MARK_ON_ASCII, '')
    .replace(LINE_SEPARATORS, '\n')
    .replace(DASH_BETWEEN_DIGITS, '-');
}

/** Parameters nested deeper than this are refused (a JSON schema needs a few levels; thousands are an attack). */
export const MAX_PARAMETER_DEPTH = 32;

/**
 * Calls `add` for every string inside a JSON value, object keys included (a property of a tool's schema can be
 * named anything), with a setter for a copy of it. A key comes after everything under it: its setter renames it,
 * and the setters of what is under it still find it by its old name.
 */
function eachString(
  value: unknown,
  at: (request: Outgoing) => unknown,
  add: (text: string, put: Segment['put']) => void,
): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) =>
      typeof item === 'string'
        ? add(item, (request, text) => void ((at(request) as unknown[])[i] = text))
        : eachString(item, (request) => (at(request) as unknown[])[i], add),
    );
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const parent = (request: Outgoing) => at(request) as Record<string, unknown>;
      if (typeof item === 'string') add(item, (request, text) => void (parent(request)[key] = text));
      else eachString(item, (request) => parent(request)[key], add);
      add(key, (request, text) => {
        const object = parent(request);
        if (text === key || Object.hasOwn(object, text)) return;
        object[text] = object[key];
        delete object[key];
      });
    }
  }
}

export function extractTexts(messages: readonly ChatTurn[], parameters: Record<string, unknown> = {}): Extracted {
  const segments: Segment[] = [];
  const unanalysable: string[] = [];
  let length = 0;
  const add = (written: string, put: Segment['put'], separator = SEPARATOR) => {
    const text = normalizeForAnalysis(written);
    const before = segments.length > 0 ? separator : '';
    length += before.length;
    segments.push({ text, before, changed: text !== written, start: length, put });
    length += text.length;
  };
  messages.forEach((message, m) => {
    const turn = (request: Outgoing) => request.messages[m]!;
    if (typeof message.content === 'string') {
      add(message.content, (request, text) => void (turn(request).content = text));
    } else if (Array.isArray(message.content)) {
      message.content.forEach((part, p) => {
        if (part.type === 'text' && typeof part.text === 'string') {
          // A message's text parts are one text to the model (OpenAI joins them with nothing between).
          add(
            part.text,
            (request, text) => void ((turn(request).content as ContentPart[])[p] = { ...part, text }),
            p > 0 ? '' : SEPARATOR,
          );
        } else {
          unanalysable.push(part.type);
        }
      });
    }
    if (message.name !== undefined) add(message.name, (request, text) => void (turn(request).name = text));
    if (typeof message.refusal === 'string')
      add(message.refusal, (request, text) => void (turn(request).refusal = text));
    if (message.tool_call_id !== undefined)
      add(message.tool_call_id, (request, text) => void (turn(request).tool_call_id = text));
    message.tool_calls?.forEach((call, c) => {
      const of = (request: Outgoing) => turn(request).tool_calls![c]!;
      add(call.id, (request, text) => void (of(request).id = text));
      add(call.function.name, (request, text) => void (of(request).function.name = text));
      add(call.function.arguments, (request, text) => void (of(request).function.arguments = text));
    });
  });
  eachString(parameters, (request) => request.parameters, add);
  // Underscores read as spaces (one character for one, so findings keep their offsets): `ssn_219-45-6781` in a
  // name or an id is a value like any other.
  const prompt = segments.map((segment) => segment.before + segment.text.replaceAll('_', ' ')).join('');
  return { prompt, segments, unanalysable };
}

/**
 * A request's placeholders and the values they stand for: in memory only, for the one request. Numbered per entity,
 * the same value keeping the same placeholder, as domain/prompt-analysis/detection/redaction.ts numbers them.
 */
const PLACEHOLDER = /<[A-Z][A-Z0-9_]*_\d+>/g;
const PLACEHOLDER_PARTS = /<([A-Z][A-Z0-9_]*)_(\d{1,9})>/g;

export class Placeholders {
  private readonly numbers = new Map<string, string>();
  private readonly counts = new Map<string, number>();
  /** Placeholder → the caller's value. */
  readonly values = new Map<string, string>();

  /**
   * `texts` are the request's own: a conversation carries the placeholders of earlier turns (`<US_SSN_1>` standing
   * for a value the model saw before), so this request's numbers start after the highest of each entity there, and
   * one name never stands for two values.
   */
  constructor(texts: Iterable<string> = []) {
    for (const text of texts) {
      for (const [, entity, n] of text.matchAll(PLACEHOLDER_PARTS)) {
        this.counts.set(entity!, Math.max(this.counts.get(entity!) ?? 0, Number(n)));
      }
    }
  }

  placeholderFor(entity: string, value: string): string {
    const key = `${entity}\u0000${value.replace(/[\s-]/g, '').toLowerCase()}`;
    let placeholder = this.numbers.get(key);
    if (placeholder === undefined) {
      const n = (this.counts.get(entity) ?? 0) + 1;
      this.counts.set(entity, n);
      placeholder = `<${entity}_${n}>`;
      this.numbers.set(key, placeholder);
      this.values.set(placeholder, value);
    }
    return placeholder;
  }

  /**
   * A placeholder for a value found in an ANSWER: numbered after the request's own, never restored (the output
   * policy took it out of the answer).
   */
  answerPlaceholderFor(entity: string, value: string): string {
    const key = `answer\u0000${entity}\u0000${value.replace(/[\s-]/g, '').toLowerCase()}`;
    let placeholder = this.numbers.get(key);
    if (placeholder === undefined) {
      const n = (this.counts.get(entity) ?? 0) + 1;
      this.counts.set(entity, n);
      placeholder = `<${entity}_${n}>`;
      this.numbers.set(key, placeholder);
    }
    return placeholder;
  }

  /** The longest placeholder this request made: how far an unfinished `<…` in an answer may still become one. */
  get longest(): number {
    let longest = 0;
    for (const placeholder of this.values.keys()) longest = Math.max(longest, placeholder.length);
    return longest;
  }

  /** Puts the caller's values back in place of this request's placeholders; any other `<…>` stays as it is. */
  restore(text: string): string {
    if (this.values.size === 0) return text;
    return text.replace(PLACEHOLDER, (placeholder) => this.values.get(placeholder) ?? placeholder);
  }
}

/** Replaces the findings with placeholders of the request (findings must not overlap; they never do). */
export function replaceFindings(
  text: string,
  findings: ReadonlyArray<Finding & { continued?: boolean; value?: string }>,
  placeholders: Placeholders,
): string {
  let out = '';
  let at = 0;
  for (const finding of [...findings].sort((a, b) => a.start - b.start)) {
    // The rest of a value that began in the text before: its placeholder stands there, for all of it.
    const placeholder = finding.continued
      ? ''
      : placeholders.placeholderFor(finding.entity, finding.value ?? text.slice(finding.start, finding.end));
    out += text.slice(at, finding.start) + placeholder;
    at = finding.end;
  }
  return out + text.slice(at);
}

/**
 * The request as it may leave: every text normalised, and each finding the policy redacted (or blocked) replaced by
 * its placeholder, in the text it was found in. A value that runs from one text into the next (a message's text
 * parts are one text to the model) gets its placeholder where it begins, and its rest is taken out of the next.
 */
export function redactRequest(
  request: Outgoing,
  extracted: Extracted,
  findings: readonly AssessedFinding[],
  placeholders: Placeholders,
): Outgoing {
  const copy = structuredClone(request);
  const changing = findings.filter((f) => CHANGES_TEXT.has(f.action));
  for (const segment of extracted.segments) {
    const end = segment.start + segment.text.length;
    const inside = changing
      .filter((f) => f.start < end && f.end > segment.start)
      .map((f) => ({
        ...f,
        start: Math.max(f.start, segment.start) - segment.start,
        end: Math.min(f.end, end) - segment.start,
        continued: f.start < segment.start,
        // A value across texts is named whole (as the prompt has it); one inside a text as that text has it.
        ...(f.end > end ? { value: extracted.prompt.slice(f.start, f.end) } : {}),
      }));
    if (inside.length > 0) segment.put(copy, replaceFindings(segment.text, inside, placeholders));
    else if (segment.changed) segment.put(copy, segment.text);
  }
  return copy;
}
