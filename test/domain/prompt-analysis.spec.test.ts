import { describe, expect, it } from 'vitest';
import type { AiPolicy } from '../../domain/ai-governance/client-ai-governance.js';
import type { Finding } from '../../domain/prompt-analysis/detection/entities.js';
import {
  promptAnalysisDecider,
  promptDetector,
  redactedPrompt,
  type AnalyzePrompt,
  type PromptAnalysisEvent,
} from '../../domain/prompt-analysis/prompt-analysis.js';
import { evaluate, type PolicyContext, type ServiceStanding } from '../../domain/prompt-analysis/usage-policy.js';
import { given } from '../support/decider-spec.js';

const approved: ServiceStanding = {
  aiServiceId: 's-1',
  name: 'Covered Chat',
  registered: true,
  approval: 'approved',
  baaSigned: true,
  dpaSigned: true,
};
const finding = (entity: string, score = 0.9, start = 0): Finding => ({
  entity,
  start,
  end: start + 5,
  score,
  rule: 'test',
});
const context = (overrides: Partial<PolicyContext> = {}): PolicyContext => ({
  frameworks: [],
  service: approved,
  ...overrides,
});
const policy = (rules: AiPolicy['rules'], unapprovedService: AiPolicy['unapprovedService'] = 'block'): AiPolicy => ({
  rules,
  unapprovedService,
  customPatterns: [],
});

describe('the AI usage policy', () => {
  it('by default blocks secrets, redacts payment data and warns about other personal data', () => {
    expect(evaluate([finding('AWS_ACCESS_KEY')], context()).decision).toBe('block');
    expect(evaluate([finding('CREDIT_CARD')], context()).decision).toBe('redact');
    expect(evaluate([finding('EMAIL_ADDRESS')], context()).decision).toBe('warn');
    expect(evaluate([], context())).toEqual({ decision: 'allow', findings: [], reasons: [], violations: [] });
  });

  it('blocks PHI for a HIPAA client and redacts personal data for a GDPR client', () => {
    expect(evaluate([finding('US_SSN')], context({ frameworks: ['hipaa'] })).decision).toBe('block');
    expect(evaluate([finding('EMAIL_ADDRESS')], context({ frameworks: ['gdpr'] })).decision).toBe('redact');
    expect(evaluate([finding('US_NPI')], context({ frameworks: ['gdpr'] })).decision).toBe('warn');
  });

  it('ignores findings below the minimum score of every rule', () => {
    const result = evaluate([finding('US_SSN', 0.3)], context({ frameworks: ['hipaa'] }));
    expect(result.decision).toBe('allow');
    expect(result.findings[0]!.action).toBe('allow');
  });

  it("lets the client's own rule for an entity replace the defaults, and its '*' rules add to them", () => {
    const own = context({
      frameworks: ['hipaa'],
      policy: policy([{ entity: 'US_SSN', minScore: 0.5, action: 'warn' }]),
    });
    expect(evaluate([finding('US_SSN')], own).decision).toBe('warn');
    expect(evaluate([finding('PERSON')], own).decision).toBe('block'); // still the HIPAA default
    const any = context({ policy: policy([{ entity: '*', minScore: 0.8, action: 'redact' }]) });
    expect(evaluate([finding('US_NPI', 0.9)], any).decision).toBe('redact');
    expect(evaluate([finding('US_NPI', 0.7)], any).decision).toBe('warn');
  });

  it('lets the strictest action win and explains each', () => {
    const result = evaluate(
      [finding('EMAIL_ADDRESS', 0.9, 0), finding('EMAIL_ADDRESS', 0.9, 10), finding('GITHUB_TOKEN', 0.95, 20)],
      context(),
    );
    expect(result.decision).toBe('block');
    expect(result.reasons).toEqual([
      '2 × EMAIL_ADDRESS → warn (default policy)',
      'GITHUB_TOKEN → block (default policy)',
    ]);
    expect(result.violations).toEqual([{ kind: 'sensitive-data', action: 'block', severity: 'critical' }]);
  });

  it('applies duties no client rule can relax: PHI only with a BAA, personal data only with a DPA', () => {
    const lenient = policy([{ entity: 'US_SSN', minScore: 0, action: 'allow' }]);
    const noBaa = context({ frameworks: ['hipaa'], policy: lenient, service: { ...approved, baaSigned: false } });
    expect(evaluate([finding('US_SSN')], noBaa).reasons).toEqual([
      'US_SSN → block (HIPAA: no business associate agreement with the vendor)',
    ]);
    const noDpa = context({ frameworks: ['gdpr'], service: { ...approved, dpaSigned: false } });
    expect(evaluate([finding('EMAIL_ADDRESS')], noDpa).decision).toBe('block');
    expect(
      evaluate(
        [finding('EMAIL_ADDRESS')],
        context({ frameworks: ['gdpr'], service: { ...approved, baaSigned: false } }),
      ).decision,
    ).toBe('redact');
  });

  it("handles an unapproved, revoked or unknown service by the client's rule for them, and records a violation even when it allows", () => {
    for (const service of [
      { ...approved, approval: 'none' as const },
      { ...approved, approval: 'revoked' as const },
      { ...approved, registered: false },
    ]) {
      expect(evaluate([], context({ service })).decision).toBe('block');
      const allowed = evaluate([], context({ service, policy: policy([], 'allow') }));
      expect(allowed.decision).toBe('allow');
      expect(allowed.violations).toEqual([{ kind: 'unapproved-ai-service', action: 'warn', severity: 'medium' }]);
    }
  });

  it('applies a rule that names AI services only to prompts for those services', () => {
    const allowForCovered = policy([
      { entity: 'PHONE_NUMBER', minScore: 0.5, action: 'allow', aiServiceIds: ['s-1'] },
      { entity: 'MEDICAL_RECORD_NUMBER', minScore: 0.5, action: 'allow', aiServiceIds: ['s-1'] },
    ]);
    const findings = [finding('PHONE_NUMBER'), finding('MEDICAL_RECORD_NUMBER', 0.9, 10)];
    const covered = evaluate(findings, context({ frameworks: ['hipaa'], policy: allowForCovered }));
    expect(covered.decision).toBe('allow');
    const other = evaluate(
      findings,
      context({ frameworks: ['hipaa'], policy: allowForCovered, service: { ...approved, aiServiceId: 's-2' } }),
    );
    expect(other.decision).toBe('block');
    expect(other.reasons.join()).toMatch(/HIPAA default/);
  });

  it('warns about what a custom pattern finds when no rule names its entity; a rule for it decides instead', () => {
    const customPatterns = [{ entity: 'PATIENT_ID', pattern: 'PT-\\d{6}', score: 0.3 }];
    const unnamed = evaluate([finding('PATIENT_ID', 0.3)], context({ policy: { ...policy([]), customPatterns } }));
    expect(unnamed.decision).toBe('warn');
    expect(unnamed.findings[0]!.action).toBe('warn');
    expect(unnamed.reasons).toEqual(['PATIENT_ID → warn (default for a custom pattern)']);
    expect(unnamed.violations).toEqual([{ kind: 'sensitive-data', action: 'warn', severity: 'low' }]);
    const named = (action: 'allow' | 'block') =>
      evaluate(
        [finding('PATIENT_ID', 0.3)],
        context({ policy: { ...policy([{ entity: 'PATIENT_ID', minScore: 0.2, action }]), customPatterns } }),
      ).decision;
    expect(named('block')).toBe('block');
    expect(named('allow')).toBe('allow');
    // An entity no pattern of the policy finds keeps the built-in defaults (none for an unknown name).
    expect(evaluate([finding('PATIENT_ID')], context()).decision).toBe('allow');
  });
});

describe('prompt analysis', () => {
  const command = (overrides: Partial<Omit<AnalyzePrompt, 'findings'>> = {}): AnalyzePrompt => {
    const given: Omit<AnalyzePrompt, 'findings'> = {
      type: 'AnalyzePrompt',
      analysisId: 'a-1',
      clientId: 'c-1',
      aiServiceId: 's-1',
      prompt: 'Summarise the note for patient SSN 219-45-6781.',
      promptHash: 'hmac-of-the-prompt',
      userRefHash: null,
      conversationId: 'conv-7',
      maxLength: 1000,
      context: context({ frameworks: ['hipaa'] }),
      ...overrides,
    };
    // What the route finds in the prompt before it sends the command.
    return { ...given, findings: promptDetector(given.context)(given.prompt) };
  };

  it('records the findings and the decision, and a violation when the policy acts, without the prompt', () => {
    const ssn = {
      entity: 'US_SSN',
      start: 35,
      end: 46,
      score: 0.95,
      rule: 'us-ssn.formatted',
      action: 'block' as const,
    };
    const reasons = ['US_SSN → block (HIPAA default)'];
    const expected: PromptAnalysisEvent[] = [
      {
        type: 'PromptAnalyzed',
        data: {
          analysisId: 'a-1',
          clientId: 'c-1',
          aiServiceId: 's-1',
          userRefHash: null,
          conversationId: 'conv-7',
          promptHash: 'hmac-of-the-prompt',
          promptLength: 47,
          decision: 'block',
          findings: [ssn],
          entityCounts: { US_SSN: 1 },
          reasons,
          serviceApproved: true,
          engineVersion: 4,
        },
      },
      {
        type: 'ViolationRecorded',
        data: {
          analysisId: 'a-1',
          clientId: 'c-1',
          aiServiceId: 's-1',
          kind: 'sensitive-data',
          action: 'block',
          severity: 'high',
          entityCounts: { US_SSN: 1 },
          reasons,
        },
      },
    ];
    given(promptAnalysisDecider).when(command()).then(expected);
  });

  it('records only the analysis when the prompt is clean and the service approved', () => {
    given(promptAnalysisDecider)
      .when(command({ prompt: 'Write a haiku about autumn.' }))
      .then([
        {
          type: 'PromptAnalyzed',
          data: expect.objectContaining({
            decision: 'allow',
            findings: [],
            entityCounts: {},
            reasons: [],
            promptLength: 27,
          }) as never,
        },
      ]);
  });

  it('refuses an empty or over-long prompt, naming it, and a second analysis under the same id', () => {
    given(promptAnalysisDecider)
      .when(command({ prompt: '' }))
      .thenFails('invalid', 'prompt');
    given(promptAnalysisDecider)
      .when(command({ prompt: 'x'.repeat(1001) }))
      .thenFails('invalid', 'prompt');
    const recorded = promptAnalysisDecider.decide(command(), promptAnalysisDecider.initialState());
    given(promptAnalysisDecider, recorded).when(command()).thenFails('conflict');
  });
});

describe('the prompt sent on', () => {
  const detectAndAssess = (prompt: string, overrides: Partial<PolicyContext> = {}) =>
    evaluate(promptDetector(context(overrides))(prompt), context(overrides)).findings;

  it("redacts a name exactly: a possessive 's stays in the text", () => {
    const prompt = "Mr. John Smith's SSN is 219-45-6781.";
    const findings = detectAndAssess(prompt, { frameworks: ['hipaa'] });
    const person = findings.find((f) => f.entity === 'PERSON')!;
    expect(prompt.slice(person.start, person.end)).toBe('John Smith');
    expect(redactedPrompt(prompt, findings)).toBe("Mr. <PERSON_1>'s SSN is <US_SSN_1>.");
    // Names with an apostrophe of their own keep it.
    const irish = detectAndAssess("Patient Mary O'Brien's chart", { frameworks: ['hipaa'] });
    expect(redactedPrompt("Patient Mary O'Brien's chart", irish)).toBe("Patient <PERSON_1>'s chart");
  });

  it('changes the text only for findings the policy redacts or blocks; a warning leaves it as written', () => {
    const prompt = 'Write to maria.garcia@example.org about card 4111 1111 1111 1111.';
    const findings = detectAndAssess(prompt);
    expect(findings.map((f) => [f.entity, f.action])).toEqual([
      ['EMAIL_ADDRESS', 'warn'],
      ['CREDIT_CARD', 'redact'],
    ]);
    expect(redactedPrompt(prompt, findings)).toBe('Write to maria.garcia@example.org about card <CREDIT_CARD_1>.');
    const warnedOnly = detectAndAssess('Write to maria.garcia@example.org today.');
    expect(redactedPrompt('Write to maria.garcia@example.org today.', warnedOnly)).toBe(
      'Write to maria.garcia@example.org today.',
    );
  });
});
