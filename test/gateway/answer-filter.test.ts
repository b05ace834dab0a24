import { describe, expect, it } from 'vitest';
import { DEFAULT_GATEWAY_SETTINGS } from '../../domain/ai-governance/client-ai-governance.js';
import type { PolicyContext } from '../../domain/prompt-analysis/usage-policy.js';
import { Placeholders } from '../../gateway/messages.js';
import { AnswerFilter, HOLD_BACK } from '../../gateway/output.js';

const SSN = '219-45-6781';
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const CARD = '4111 1111 1111 1111';
const PEM =
  '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nVJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n-----END PRIVATE KEY-----';
const context: PolicyContext = {
  frameworks: [],
  service: { aiServiceId: 's', name: 'S', registered: true, approval: 'approved', baaSigned: true, dpaSigned: true },
};
const settings = {
  ...DEFAULT_GATEWAY_SETTINGS,
  outputRules: [
    { entity: 'AWS_ACCESS_KEY', minScore: 0.1, action: 'warn' as const },
    { entity: 'PRIVATE_KEY', minScore: 0.1, action: 'redact' as const },
  ],
};
const ANSWER = `I kept <US_SSN_1> on file. Your card ${CARD} is charged. Deploy with ${AWS_KEY} today.\n${PEM}\nThat is all for <US_SSN_1>, thank you.`;

function filter() {
  const placeholders = new Placeholders();
  placeholders.placeholderFor('US_SSN', SSN);
  return AnswerFilter.for(context, settings, placeholders);
}

/** Streams `text` in pieces of the given sizes (cycling); gives what the caller saw and the most ever held back. */
function stream(text: string, sizes: number[]) {
  const answer = filter();
  let out = '';
  let received = '';
  let held = 0;
  for (let at = 0, i = 0; at < text.length; i++) {
    const piece = text.slice(at, at + sizes[i % sizes.length]!);
    at += piece.length;
    const given = answer.push(piece);
    out += given.restored;
    received += given.received;
    held = Math.max(held, answer.held);
    // Nothing given out ever shows part of a value the policy takes out, or an unfinished placeholder.
    expect(given.restored).not.toMatch(/<[A-Z_]*$/);
  }
  const last = answer.end();
  return { out: out + last.restored, received: received + last.received, held };
}

describe('the answer filter (output policy and restoration, streamed or whole)', () => {
  const whole = stream(ANSWER, [ANSWER.length]);

  it('restores the request placeholders and takes out what the output policy redacts', () => {
    expect(whole.out).toContain(`I kept ${SSN} on file.`);
    expect(whole.out).toContain(`for ${SSN}, thank you.`);
    expect(whole.out).not.toContain(AWS_KEY);
    expect(whole.out).toContain('<AWS_ACCESS_KEY_');
    expect(whole.out).not.toContain('MIIEvQIBADAN');
    expect(whole.out).toContain('<CREDIT_CARD_');
    // The placeholder form never holds the caller's values.
    expect(whole.received).not.toContain(SSN);
    expect(whole.received).toContain('<US_SSN_1>');
  });

  it('gives the same answer however it is cut into chunks', () => {
    for (const sizes of [[1], [2], [3], [5], [7], [13], [1, 9, 4], [31], [64], [100]]) {
      expect(stream(ANSWER, sizes).out, `chunks of ${sizes.join(',')}`).toBe(whole.out);
    }
  });

  it(`holds back about ${HOLD_BACK} characters of prose, and a value still arriving whole`, () => {
    const prose = 'The quick brown fox jumps over the lazy dog. '.repeat(40);
    const { held } = stream(prose, [5]);
    // The window, the word it cuts, and the chunk that just arrived.
    expect(held).toBeLessThanOrEqual(HOLD_BACK + 'quick '.length + 5);
    const { held: withKey } = stream(`Here: ${PEM} done. ${prose}`, [5]);
    // The private key is held whole until its END line arrives.
    expect(withKey).toBeGreaterThan(PEM.length);
  });
});
