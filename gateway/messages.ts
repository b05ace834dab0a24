import type { Finding } from '../domain/prompt-analysis/detection/entities.js';
import { CHANGES_TEXT } from '../domain/prompt-analysis/prompt-analysis.js';
import type { AssessedFinding } from '../domain/prompt-analysis/usage-policy.js';
import type { ChatTurn, ContentPart } from './types.js';

/**
 * A request's texts as one prompt: every message's text (string content and text parts), every tool call's
 * arguments and every tool result, joined by blank lines, so that they are analysed in one PromptAnalyzed exactly
 * as POST /analyze/prompt analyses one prompt. Each text remembers where it sits, so that findings map back to it.
 */
export interface Segment {
  /** Where the text comes from: a setter that puts its new (redacted) text back in a copy of the messages. */
  put: (messages: ChatTurn[], text: string) => void;
  text: string;
  start: number;
}

const SEPARATOR = '\n\n';

export interface Extracted {
  prompt: string;
  segments: Segment[];
  /** Message parts the engine cannot read (images, audio, files), by type. */
  unanalysable: string[];
}

export function extractTexts(messages: readonly ChatTurn[]): Extracted {
  const segments: Segment[] = [];
  const unanalysable: string[] = [];
  let length = 0;
  const add = (text: string, put: Segment['put']) => {
    if (segments.length > 0) length += SEPARATOR.length;
    segments.push({ text, start: length, put });
    length += text.length;
  };
  messages.forEach((message, m) => {
    if (typeof message.content === 'string') {
      add(message.content, (copy, text) => void (copy[m]!.content = text));
    } else if (Array.isArray(message.content)) {
      message.content.forEach((part, p) => {
        if (part.type === 'text' && typeof part.text === 'string') {
          add(part.text, (copy, text) => void ((copy[m]!.content as ContentPart[])[p] = { ...part, text }));
        } else {
          unanalysable.push(part.type);
        }
      });
    }
    message.tool_calls?.forEach((call, c) => {
      add(call.function.arguments, (copy, text) => {
        const calls = copy[m]!.tool_calls!;
        calls[c] = { ...calls[c]!, function: { ...calls[c]!.function, arguments: text } };
      });
    });
  });
  return { prompt: segments.map((s) => s.text).join(SEPARATOR), segments, unanalysable };
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
export function replaceFindings(text: string, findings: readonly Finding[], placeholders: Placeholders): string {
  let out = '';
  let at = 0;
  for (const finding of [...findings].sort((a, b) => a.start - b.start)) {
    out +=
      text.slice(at, finding.start) +
      placeholders.placeholderFor(finding.entity, text.slice(finding.start, finding.end));
    at = finding.end;
  }
  return out + text.slice(at);
}

/**
 * The messages as they may leave: each finding the policy redacted (or blocked) replaced by its placeholder, in
 * the text it was found in. A finding that would run across two texts (it cannot: a blank line ends every
 * identifier) is cut at its text's end.
 */
export function redactMessages(
  messages: readonly ChatTurn[],
  extracted: Extracted,
  findings: readonly AssessedFinding[],
  placeholders: Placeholders,
): ChatTurn[] {
  const copy = structuredClone(messages) as ChatTurn[];
  const changing = findings.filter((f) => CHANGES_TEXT.has(f.action));
  if (changing.length === 0) return copy;
  for (const segment of extracted.segments) {
    const end = segment.start + segment.text.length;
    const inside = changing
      .filter((f) => f.start >= segment.start && f.start < end)
      .map((f) => ({ ...f, start: f.start - segment.start, end: Math.min(f.end, end) - segment.start }));
    if (inside.length > 0) segment.put(copy, replaceFindings(segment.text, inside, placeholders));
  }
  return copy;
}
