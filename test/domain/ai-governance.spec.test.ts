import { describe, expect, it } from 'vitest';
import { aiServiceDecider } from '../../domain/ai-governance/ai-service.js';
import {
  checkCustomPattern,
  clientAiDecider,
  type AiPolicy,
  type ClientAiEvent,
} from '../../domain/ai-governance/client-ai-governance.js';
import { DomainError } from '../../domain/decider.js';
import { given } from '../support/decider-spec.js';

const service = {
  name: ' ChatGPT Enterprise ',
  vendor: 'OpenAI',
  models: ['gpt-4o', 'gpt-4o'],
  baaSigned: true,
  dpaSigned: true,
  dataRetentionDays: 30,
};

describe('AI service', () => {
  it('is registered once, with its models deduplicated', () => {
    given(aiServiceDecider)
      .when({ type: 'RegisterAiService', aiServiceId: 's-1', ...service })
      .then([
        {
          type: 'AiServiceRegistered',
          data: { aiServiceId: 's-1', ...service, name: 'ChatGPT Enterprise', models: ['gpt-4o'] },
        },
      ]);
    given(aiServiceDecider, [{ type: 'AiServiceRegistered', data: { aiServiceId: 's-1', ...service } }])
      .when({ type: 'RegisterAiService', aiServiceId: 's-1', ...service })
      .thenFails('conflict');
  });

  it('records an update with only the fields that changed, and nothing when nothing did', () => {
    const registered = { type: 'AiServiceRegistered' as const, data: { aiServiceId: 's-1', ...service } };
    given(aiServiceDecider, [registered])
      .when({
        type: 'UpdateAiService',
        changes: { baaSigned: true, dpaSigned: false, vendor: 'OpenAI' },
        updatedBy: 'u-1',
      })
      .then([
        { type: 'AiServiceUpdated', data: { aiServiceId: 's-1', changes: { dpaSigned: false }, updatedBy: 'u-1' } },
      ]);
    given(aiServiceDecider, [registered])
      .when({ type: 'UpdateAiService', changes: { baaSigned: true }, updatedBy: 'u-1' })
      .then([]);
    given(aiServiceDecider, [registered])
      .when({ type: 'UpdateAiService', changes: { name: ' ' }, updatedBy: 'u-1' })
      .thenFails('invalid', 'name');
    given(aiServiceDecider)
      .when({ type: 'UpdateAiService', changes: { baaSigned: true }, updatedBy: 'u-1' })
      .thenFails('not_found');
  });
});

describe("a client's AI governance", () => {
  const approved: ClientAiEvent = { type: 'AiServiceApproved', data: { aiServiceId: 's-1', reason: 'BAA signed' } };

  it('approves a service with a reason, once', () => {
    given(clientAiDecider)
      .when({ type: 'ApproveAiService', aiServiceId: 's-1', reason: ' BAA signed ' })
      .then([approved]);
    given(clientAiDecider, [approved]).when({ type: 'ApproveAiService', aiServiceId: 's-1', reason: 'again' }).then([]);
    given(clientAiDecider)
      .when({ type: 'ApproveAiService', aiServiceId: 's-1', reason: ' ' })
      .thenFails('invalid', 'reason');
  });

  it('warns, in the event, when the service lacks the BAA (HIPAA) or the DPA (GDPR) the client is held to', () => {
    const bare = { name: 'Bare', baaSigned: false, dpaSigned: false };
    const [event] = clientAiDecider.decide(
      {
        type: 'ApproveAiService',
        aiServiceId: 's-1',
        reason: 'pilot',
        context: { frameworks: ['hipaa', 'gdpr'], service: bare },
      },
      clientAiDecider.initialState(),
    );
    expect(event).toMatchObject({
      type: 'AiServiceApproved',
      data: {
        warnings: [
          expect.stringMatching(/^HIPAA: no business associate agreement/),
          expect.stringMatching(/^GDPR: no data processing agreement/),
        ],
      },
    });
    given(clientAiDecider)
      .when({
        type: 'ApproveAiService',
        aiServiceId: 's-1',
        reason: 'BAA signed',
        context: { frameworks: ['hipaa'], service: { ...bare, baaSigned: true } },
      })
      .then([approved]);
  });

  it('revokes only what it approved', () => {
    given(clientAiDecider, [approved])
      .when({ type: 'RevokeAiService', aiServiceId: 's-1', reason: 'vendor breach' })
      .then([{ type: 'AiServiceRevoked', data: { aiServiceId: 's-1', reason: 'vendor breach' } }]);
    given(clientAiDecider)
      .when({ type: 'RevokeAiService', aiServiceId: 's-1', reason: 'x' })
      .thenFails('invalid', 'aiServiceId');
  });

  const policy: AiPolicy = {
    rules: [
      { entity: 'US_SSN', minScore: 0.5, action: 'block' },
      { entity: '*', minScore: 0.8, action: 'warn' },
    ],
    unapprovedService: 'block',
    customPatterns: [{ entity: 'PATIENT_ID', pattern: 'PT-\\d{6}', score: 0.9 }],
  };

  it('sets a policy whose rules and patterns are sound', () => {
    given(clientAiDecider)
      .when({ type: 'SetAiPolicy', policy })
      .then([{ type: 'AiPolicySet', data: policy }]);
    given(clientAiDecider)
      .when({ type: 'SetAiPolicy', policy: { ...policy, rules: [{ entity: 'ssn', minScore: 0.5, action: 'block' }] } })
      .thenFails('invalid', 'rules.0.entity');
    given(clientAiDecider)
      .when({ type: 'SetAiPolicy', policy: { ...policy, rules: [{ entity: 'US_SSN', minScore: 2, action: 'block' }] } })
      .thenFails('invalid', 'rules.0.minScore');
    given(clientAiDecider)
      .when({
        type: 'SetAiPolicy',
        policy: { ...policy, customPatterns: [{ entity: 'X_ID', pattern: '(a)\\1', score: 0.5 }] },
      })
      .thenFails('invalid', 'customPatterns.0.pattern');
  });

  // Patterns run on RE2, which never backtracks: what needs backtracking is refused, and so is what matches nothing.
  it.each(['(x)\\1', '(?<=a)b', '(?!a)b', '[unclosed', 'a*'])('refuses the pattern %s', (pattern) => {
    expect(() => checkCustomPattern(pattern, 'p')).toThrow(DomainError);
  });

  // What a pattern costs per character of a prompt grows with its compiled program: a policy's patterns share a budget.
  it('refuses custom patterns that together compile to more than 1,000 instructions, naming the one over it', () => {
    const customPattern = (pattern: string) => ({ entity: 'X_ID', pattern, score: 0.5 });
    given(clientAiDecider)
      .when({ type: 'SetAiPolicy', policy: { ...policy, customPatterns: [customPattern('[a-z]{1000}')] } })
      .thenFails('invalid', 'customPatterns.0.pattern');
    const halves = [customPattern('PT-\\d{6}'), customPattern('\\w{490}'), customPattern('\\w{496}')];
    given(clientAiDecider)
      .when({ type: 'SetAiPolicy', policy: { ...policy, customPatterns: halves } })
      .thenFails('invalid', 'customPatterns.2.pattern');
    given(clientAiDecider)
      .when({ type: 'SetAiPolicy', policy: { ...policy, customPatterns: halves.slice(0, 2) } })
      .then([{ type: 'AiPolicySet', data: { ...policy, customPatterns: halves.slice(0, 2) } }]);
  });

  it('accepts nested quantifiers, since they cannot backtrack on the linear-time engine', () => {
    expect(() => checkCustomPattern('(a+)+$', 'p')).not.toThrow();
  });

  it('refuses a region with no numbering plan', () => {
    given(clientAiDecider)
      .when({ type: 'SetAiPolicy', policy: { ...policy, regions: ['US', 'XX'] } })
      .thenFails('invalid', 'regions.1');
  });

  it.each(['PT-\\d{6}', 'MRN[:#]?\\s?\\d{7}', '[A-Z]{2}\\d{8}', '(?:ID|No)\\.?\\s\\d+'])(
    'accepts the pattern %s',
    (pattern) => {
      expect(() => checkCustomPattern(pattern, 'p')).not.toThrow();
    },
  );
});
