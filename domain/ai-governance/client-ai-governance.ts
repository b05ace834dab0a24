import { isSupportedCountry } from 'libphonenumber-js/max';
import { RE2JS } from 're2js';
import { DomainError, type Decider, type DomainEvent } from '../decider.js';

/**
 * One client's AI governance: which AI services it approved or revoked, and its AI usage policy, which tells prompt
 * analysis what to do with each kind of sensitive data it finds.
 */
export const ACTIONS = ['allow', 'warn', 'redact', 'block'] as const;
export type Action = (typeof ACTIONS)[number];

/** Strictest first wins: block > redact > warn > allow. */
export const ACTION_SEVERITY: Record<Action, number> = { allow: 0, warn: 1, redact: 2, block: 3 };

export interface PolicyRule {
  /** An entity type, such as US_SSN or EMAIL_ADDRESS (Presidio's names), or * for any. */
  entity: string;
  /** Findings scoring below this are ignored by the rule. */
  minScore: number;
  action: Action;
}

export interface CustomPattern {
  entity: string;
  /** A regular expression in RE2 syntax (JavaScript's, without back-references or lookarounds), run in linear time. */
  pattern: string;
  score: number;
}

export interface AiPolicy {
  rules: PolicyRule[];
  unapprovedService: Action;
  customPatterns: CustomPattern[];
  /** ISO 3166-1 alpha-2 regions for phone numbers written without a country code; US when absent. */
  regions?: string[];
}

export type ClientAiEvent =
  | DomainEvent<'AiServiceApproved', { aiServiceId: string; reason: string }>
  | DomainEvent<'AiServiceRevoked', { aiServiceId: string; reason: string }>
  | DomainEvent<'AiPolicySet', AiPolicy>;

export type ClientAiCommand =
  | { type: 'ApproveAiService'; aiServiceId: string; reason: string }
  | { type: 'RevokeAiService'; aiServiceId: string; reason: string }
  | { type: 'SetAiPolicy'; policy: AiPolicy };

export interface ClientAiState {
  services: Record<string, 'approved' | 'revoked'>;
  policy?: AiPolicy;
}

const ENTITY = /^(\*|[A-Z][A-Z0-9_]{1,63})$/;
/**
 * Refuses a pattern the linear-time engine cannot run. Custom patterns run on RE2 (re2js), which never backtracks, so
 * no pattern can make analysis slow; back-references and lookarounds, which need backtracking, are refused.
 */
export function checkCustomPattern(pattern: string, field: string): void {
  if (pattern.length > 500) throw new DomainError('invalid', 'A custom pattern is at most 500 characters', field);
  try {
    RE2JS.compile(pattern);
  } catch (error) {
    throw new DomainError(
      'invalid',
      `The pattern cannot run on the linear-time engine (RE2 syntax, no back-references or lookarounds): ${(error as Error).message}`,
      field,
    );
  }
  if (RE2JS.compile(pattern).matches('')) throw new DomainError('invalid', 'The pattern matches empty text', field);
}

function checkPolicy(policy: AiPolicy): void {
  policy.rules.forEach((rule, i) => {
    if (!ENTITY.test(rule.entity))
      throw new DomainError(
        'invalid',
        'An entity is an upper-case type name such as US_SSN, or *',
        `rules.${i}.entity`,
      );
    if (!(rule.minScore >= 0 && rule.minScore <= 1))
      throw new DomainError('invalid', 'minScore is between 0 and 1', `rules.${i}.minScore`);
  });
  policy.regions?.forEach((region, i) => {
    if (!isSupportedCountry(region))
      throw new DomainError(
        'invalid',
        'A region is an ISO 3166-1 alpha-2 code with a numbering plan, such as US or GB',
        `regions.${i}`,
      );
  });
  policy.customPatterns.forEach((custom, i) => {
    if (!ENTITY.test(custom.entity) || custom.entity === '*')
      throw new DomainError('invalid', 'An entity is an upper-case type name', `customPatterns.${i}.entity`);
    if (!(custom.score >= 0 && custom.score <= 1))
      throw new DomainError('invalid', 'score is between 0 and 1', `customPatterns.${i}.score`);
    checkCustomPattern(custom.pattern, `customPatterns.${i}.pattern`);
  });
}

export const clientAiDecider: Decider<ClientAiCommand, ClientAiEvent, ClientAiState> = {
  initialState: () => ({ services: {} }),

  decide(command, state) {
    switch (command.type) {
      case 'ApproveAiService':
      case 'RevokeAiService': {
        if (!command.reason.trim()) throw new DomainError('invalid', 'Give a reason', 'reason');
        const target = command.type === 'ApproveAiService' ? 'approved' : 'revoked';
        if (state.services[command.aiServiceId] === target) return [];
        if (target === 'revoked' && state.services[command.aiServiceId] === undefined) {
          throw new DomainError('invalid', 'The service was never approved for this client', 'aiServiceId');
        }
        const type = command.type === 'ApproveAiService' ? 'AiServiceApproved' : 'AiServiceRevoked';
        return [{ type, data: { aiServiceId: command.aiServiceId, reason: command.reason.trim() } }];
      }
      case 'SetAiPolicy': {
        checkPolicy(command.policy);
        return [{ type: 'AiPolicySet', data: command.policy }];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'AiServiceApproved':
        return { ...state, services: { ...state.services, [event.data.aiServiceId]: 'approved' } };
      case 'AiServiceRevoked':
        return { ...state, services: { ...state.services, [event.data.aiServiceId]: 'revoked' } };
      case 'AiPolicySet':
        return { ...state, policy: event.data };
    }
  },
};
