import {
  ACTION_SEVERITY,
  type Action,
  type GatewaySettings,
  type PolicyRule,
} from '../domain/ai-governance/client-ai-governance.js';
import type { Detector } from '../domain/prompt-analysis/detection/engine.js';
import { ENTITY_CATEGORIES, type Finding } from '../domain/prompt-analysis/detection/entities.js';
import { promptDetector } from '../domain/prompt-analysis/prompt-analysis.js';
import { evaluate, type AssessedFinding, type PolicyContext } from '../domain/prompt-analysis/usage-policy.js';
import type { Placeholders } from './messages.js';

/**
 * The policy for answers: the client's output rules; an entity none of them names falls back to the input
 * policy's rule for it (its own rule, else the defaults of its frameworks); a secret is redacted at least.
 */
export function outputContext(input: PolicyContext, settings: GatewaySettings): PolicyContext {
  const named = new Set(settings.outputRules.map((rule: PolicyRule) => rule.entity));
  const inputRules = (input.policy?.rules ?? []).filter((rule) => !named.has(rule.entity));
  return {
    ...input,
    policy: {
      unapprovedService: input.policy?.unapprovedService ?? 'block',
      customPatterns: input.policy?.customPatterns ?? [],
      regions: input.policy?.regions,
      rules: [...settings.outputRules, ...inputRules],
    },
    // The answer comes from the service the request was routed to: approved, or nothing was sent.
    service: { ...input.service, registered: true, approval: 'approved' },
  };
}

const isSecret = (entity: string): boolean =>
  ((ENTITY_CATEGORIES as Record<string, readonly string[] | undefined>)[entity] ?? []).includes('secret');

/** What the output policy does with each finding of an answer. */
export function assessOutput(findings: readonly Finding[], context: PolicyContext): AssessedFinding[] {
  return evaluate(findings, context).findings.map((finding) =>
    isSecret(finding.entity) && ACTION_SEVERITY[finding.action] < ACTION_SEVERITY.redact
      ? { ...finding, action: 'redact' as Action }
      : finding,
  );
}

/** Characters held back at the end of a streamed answer, beyond the word they cut (see README, "Gateway"). */
export const HOLD_BACK = 64;
/** Characters before the held-back text that detection looks at again: context words ("SSN:") and an identifier's start. */
const LOOK_BACK = 64;
/** A placeholder is `<` + an entity (at most 64 characters) + `_n>`. */
const LONGEST_PLACEHOLDER = 72;

export interface AnswerPiece {
  /** The piece after the output policy, in placeholder form (what may be stored). */
  received: string;
  /** The same piece with the request's placeholders restored (what the caller sees). */
  restored: string;
}

/**
 * An answer on its way back, streamed or whole: what arrives is checked with the output policy and restored, and
 * given out as soon as nothing later can change it. Held back: the last HOLD_BACK characters, extended back to the
 * start of the word they cut, to the start of any finding that reaches into them (a private key still arriving),
 * and to an unfinished `<…` that may still become a placeholder. So an identifier or placeholder split across chunks
 * is seen whole.
 */
export class AnswerFilter {
  private text = '';
  private emitted = 0;
  /** The output policy blocked something: the answer ends there (finish_reason content_filter). */
  blocked = false;
  readonly findings: AssessedFinding[] = [];

  constructor(
    private readonly detect: Detector,
    private readonly context: PolicyContext,
    private readonly placeholders: Placeholders,
  ) {}

  static for(input: PolicyContext, settings: GatewaySettings, placeholders: Placeholders): AnswerFilter {
    const context = outputContext(input, settings);
    return new AnswerFilter(promptDetector(context), context, placeholders);
  }

  /** Takes the next piece of the answer; gives what is now safe to show (possibly nothing). */
  push(delta: string): AnswerPiece {
    if (this.blocked) return { received: '', restored: '' };
    this.text += delta;
    return this.release(false);
  }

  /** The answer is complete: gives out everything held back. */
  end(): AnswerPiece {
    if (this.blocked) return { received: '', restored: '' };
    return this.release(true);
  }

  /** How many characters are held back right now. */
  get held(): number {
    return this.text.length - this.emitted;
  }

  private release(final: boolean): AnswerPiece {
    const { text, emitted } = this;
    let safe = final ? text.length : this.wordStart(text.length - HOLD_BACK);
    if (safe <= emitted && !final) return { received: '', restored: '' };
    const from = Math.max(0, emitted - LOOK_BACK);
    const found = this.detect(text.slice(from)).map((f) => ({ ...f, start: f.start + from, end: f.end + from }));
    const open = found.filter((f) => f.end > emitted);
    if (!final) {
      // A finding that reaches into the held-back text may still grow: hold it back whole.
      for (let moved = true; moved;) {
        moved = false;
        for (const f of open)
          if (f.start < safe && f.end > safe) {
            safe = Math.max(emitted, f.start);
            moved = true;
          }
      }
      safe = this.beforeOpenPlaceholder(safe);
      if (safe <= emitted) return { received: '', restored: '' };
    }
    const inRange = open
      .filter((f) => f.start < safe)
      .map((f) => ({ ...f, start: Math.max(f.start, emitted), end: Math.min(f.end, safe) }));
    const assessed = assessOutput(inRange, this.context);
    let received = '';
    let at = emitted;
    for (const finding of assessed) {
      this.findings.push(finding);
      if (finding.action !== 'redact' && finding.action !== 'block') continue;
      received +=
        text.slice(at, finding.start) +
        this.placeholders.answerPlaceholderFor(finding.entity, text.slice(finding.start, finding.end));
      at = finding.end;
      if (finding.action === 'block') {
        this.blocked = true;
        break;
      }
    }
    if (!this.blocked) received += text.slice(at, safe);
    this.emitted = this.blocked ? text.length : safe;
    return { received, restored: this.placeholders.restore(received) };
  }

  /** Back to the start of the word at `position` (never before what was given out). */
  private wordStart(position: number): number {
    let p = Math.max(this.emitted, position);
    while (p > this.emitted && !/\s/.test(this.text[p - 1]!)) p--;
    return p;
  }

  /** Back to an unfinished `<…` just before `position`, which the next chunk may complete into a placeholder. */
  private beforeOpenPlaceholder(position: number): number {
    const lt = this.text.lastIndexOf('<', position - 1);
    if (lt < this.emitted || position - lt > LONGEST_PLACEHOLDER) return position;
    const gt = this.text.indexOf('>', lt);
    return gt === -1 || gt >= position ? lt : position;
  }
}

/** Findings per entity and action, as GatewayRequestRecorded counts them. */
export function countFindings(
  findings: readonly AssessedFinding[],
): Array<{ entity: string; action: Action; count: number }> {
  const counts = new Map<string, { entity: string; action: Action; count: number }>();
  for (const { entity, action } of findings) {
    const key = `${entity}\u0000${action}`;
    const entry = counts.get(key) ?? { entity, action, count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  return [...counts.values()];
}
