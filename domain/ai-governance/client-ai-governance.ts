import { isSupportedCountry } from 'libphonenumber-js/max';
import { RE2JS } from 're2js';
import { CUSTOM_PATTERNS_MAX_INSTRUCTIONS } from '../prompt-analysis/detection/recognizers/custom.js';
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
  /** The AI services the rule applies to (a service with a BAA may receive what others may not); absent: every service. */
  aiServiceIds?: string[];
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
  | DomainEvent<
      'AiServiceApproved',
      {
        aiServiceId: string;
        reason: string;
        /** What the approval goes against: a HIPAA client without a BAA, a GDPR client without a DPA (absent on older events). */
        warnings?: string[];
      }
    >
  | DomainEvent<'AiServiceRevoked', { aiServiceId: string; reason: string }>
  | DomainEvent<'AiPolicySet', AiPolicy>
  | DomainEvent<'GatewaySettingsSet', GatewaySettings>;

/** How the gateway treats this client's traffic, beyond the usage policy that every prompt is checked against. */
export interface GatewaySettings {
  /** Tokens (in and out) the client's traffic may use per calendar month (UTC); null: no budget. */
  monthlyTokenBudget: number | null;
  /** Message parts the engine cannot read (images, audio, files): blocked by default. */
  unanalysableParts: 'block' | 'allow';
  /**
   * Rules for what comes back from the AI service. An entity without an output rule falls back to the input
   * policy's rule for it; secrets found in an answer are redacted at least.
   */
  outputRules: PolicyRule[];
}

export const DEFAULT_GATEWAY_SETTINGS: GatewaySettings = {
  monthlyTokenBudget: null,
  unanalysableParts: 'block',
  outputRules: [],
};

/** What an approval is checked against: the client's frameworks and the service's contracts. */
export interface ApprovalContext {
  frameworks: readonly string[];
  service: { name: string; baaSigned: boolean; dpaSigned: boolean };
}

export type ClientAiCommand =
  | { type: 'ApproveAiService'; aiServiceId: string; reason: string; context?: ApprovalContext }
  | { type: 'RevokeAiService'; aiServiceId: string; reason: string }
  | { type: 'SetAiPolicy'; policy: AiPolicy }
  | { type: 'SetGatewaySettings'; settings: GatewaySettings };

/** A client's AI governance stream, named after the client (see domain/ownership.ts). */
export const clientAiStream = (tenantId: string, clientId: string): string => `${tenantId}/client-ai/${clientId}`;

export interface ClientAiState {
  services: Record<string, 'approved' | 'revoked'>;
  policy?: AiPolicy;
  gateway?: GatewaySettings;
}

const ENTITY = /^(\*|[A-Z][A-Z0-9_]{1,63})$/;
/**
 * Refuses a pattern the linear-time engine cannot run: custom patterns are compiled by RE2 (re2js) and run in one pass
 * that never backtracks, so back-references and lookarounds, which need backtracking, are refused. Returns the size of
 * the compiled program, which the policy's patterns share a budget of.
 */
export function checkCustomPattern(pattern: string, field: string): number {
  if (pattern.length > 500) throw new DomainError('invalid', 'A custom pattern is at most 500 characters', field);
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(pattern);
  } catch (error) {
    throw new DomainError(
      'invalid',
      `The pattern cannot run on the linear-time engine (RE2 syntax, no back-references or lookarounds): ${(error as Error).message}`,
      field,
    );
  }
  if (regex.matches('')) throw new DomainError('invalid', 'The pattern matches empty text', field);
  return regex.matcher('').programSize();
}

/** Checks a policy; `field` names where its rules are in the request (`rules`, or a gateway's `outputRules`). */
function checkPolicy(policy: AiPolicy, field = 'rules'): void {
  policy.rules.forEach((rule, i) => {
    if (!ENTITY.test(rule.entity))
      throw new DomainError(
        'invalid',
        'An entity is an upper-case type name such as US_SSN, or *',
        `${field}.${i}.entity`,
      );
    if (!(rule.minScore >= 0 && rule.minScore <= 1))
      throw new DomainError('invalid', 'minScore is between 0 and 1', `${field}.${i}.minScore`);
    if (rule.aiServiceIds !== undefined && rule.aiServiceIds.length === 0)
      throw new DomainError(
        'invalid',
        'Name at least one AI service, or leave aiServiceIds out for every service',
        `${field}.${i}.aiServiceIds`,
      );
  });
  policy.regions?.forEach((region, i) => {
    if (!isSupportedCountry(region))
      throw new DomainError(
        'invalid',
        'A region is an ISO 3166-1 alpha-2 code with a numbering plan, such as US or GB',
        `regions.${i}`,
      );
  });
  let instructions = 0;
  policy.customPatterns.forEach((custom, i) => {
    if (!ENTITY.test(custom.entity) || custom.entity === '*')
      throw new DomainError('invalid', 'An entity is an upper-case type name', `customPatterns.${i}.entity`);
    if (!(custom.score >= 0 && custom.score <= 1))
      throw new DomainError('invalid', 'score is between 0 and 1', `customPatterns.${i}.score`);
    instructions += checkCustomPattern(custom.pattern, `customPatterns.${i}.pattern`);
    if (instructions > CUSTOM_PATTERNS_MAX_INSTRUCTIONS)
      throw new DomainError(
        'invalid',
        `Together the custom patterns may compile to at most ${CUSTOM_PATTERNS_MAX_INSTRUCTIONS} instructions (what they cost on each character of a prompt); with this one they come to ${instructions}`,
        `customPatterns.${i}.pattern`,
      );
  });
}

/** The contracts a client's frameworks require of a service that it lacks. */
export function approvalWarnings({ frameworks, service }: ApprovalContext): string[] {
  const warnings: string[] = [];
  if (frameworks.includes('hipaa') && !service.baaSigned)
    warnings.push(
      `HIPAA: no business associate agreement (BAA) is signed with the vendor of "${service.name}"; prompts with PHI to it are blocked`,
    );
  if (frameworks.includes('gdpr') && !service.dpaSigned)
    warnings.push(
      `GDPR: no data processing agreement (DPA) is signed with the vendor of "${service.name}"; prompts with personal data to it are blocked`,
    );
  return warnings;
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
        const data = { aiServiceId: command.aiServiceId, reason: command.reason.trim() };
        if (command.type === 'RevokeAiService') return [{ type: 'AiServiceRevoked', data }];
        const warnings = command.context ? approvalWarnings(command.context) : [];
        return [{ type: 'AiServiceApproved', data: warnings.length > 0 ? { ...data, warnings } : data }];
      }
      case 'SetAiPolicy': {
        checkPolicy(command.policy);
        return [{ type: 'AiPolicySet', data: command.policy }];
      }
      case 'SetGatewaySettings': {
        const { settings } = command;
        if (settings.monthlyTokenBudget !== null && !(settings.monthlyTokenBudget >= 1))
          throw new DomainError(
            'invalid',
            'A monthly token budget is at least 1 (or null for none)',
            'monthlyTokenBudget',
          );
        checkPolicy({ rules: settings.outputRules, unapprovedService: 'block', customPatterns: [] }, 'outputRules');
        return [{ type: 'GatewaySettingsSet', data: settings }];
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
      case 'GatewaySettingsSet':
        return { ...state, gateway: event.data };
    }
  },
};
