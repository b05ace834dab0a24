import type { Finding } from './entities.js';

export type RedactionStyle = 'placeholder' | 'mask';

/** Entities whose last four digits may stay visible when masking, as on a receipt. */
const MASKABLE = new Set(['CREDIT_CARD', 'US_BANK_NUMBER', 'IBAN_CODE']);

/**
 * Replaces each finding with a typed placeholder such as <US_SSN_1>, numbered per entity so that the same value keeps
 * the same placeholder throughout the text. With the 'mask' style, card and account numbers keep their last four
 * digits instead ("**** **** **** 1111"). Findings must not overlap (the engine's output never does).
 */
export function redact(text: string, findings: readonly Finding[], style: RedactionStyle = 'placeholder'): string {
  const numbers = new Map<string, number>();
  const counts = new Map<string, number>();
  let out = '';
  let at = 0;
  for (const finding of [...findings].sort((a, b) => a.start - b.start)) {
    const value = text.slice(finding.start, finding.end);
    out += text.slice(at, finding.start);
    if (style === 'mask' && MASKABLE.has(finding.entity)) {
      out += mask(value);
    } else {
      const key = `${finding.entity}\u0000${value.replace(/[\s-]/g, '').toLowerCase()}`;
      let n = numbers.get(key);
      if (n === undefined) {
        n = (counts.get(finding.entity) ?? 0) + 1;
        counts.set(finding.entity, n);
        numbers.set(key, n);
      }
      out += `<${finding.entity}_${n}>`;
    }
    at = finding.end;
  }
  return out + text.slice(at);
}

/** Every letter and digit but the last four becomes "*"; separators stay. */
function mask(value: string): string {
  let keep = 4;
  const chars = [...value];
  for (let i = chars.length - 1; i >= 0; i--) {
    if (!/[A-Za-z0-9]/.test(chars[i]!)) continue;
    if (keep > 0) keep--;
    else chars[i] = '*';
  }
  return chars.join('');
}
