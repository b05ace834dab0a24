import { z } from 'zod';
import {
  ACTION_SEVERITY,
  ACTIONS,
  type Action,
  type AiPolicy,
  type PolicyRule,
} from '../ai-governance/client-ai-governance.js';
import type { FrameworkId } from '../frameworks/catalog.js';
import { BUILT_IN_ENTITIES, ENTITY_CATEGORIES, entitiesIn, type Category, type Finding } from './detection/entities.js';

/**
 * Applying a client's AI usage policy to what the engine found. For each finding, the rules that apply are the
 * client's own rules for its entity (those naming no AI service, or this one), or else the defaults of the client's frameworks, plus the client's "*" rules; a
 * rule applies when the finding scores at least its minScore, and the strictest action wins (block > redact > warn >
 * allow); a custom pattern's entity that no client rule names is warned about. Some duties no policy can relax: PHI goes only to a service with a signed BAA for a HIPAA client, and
 * personal data only to a service with a signed DPA for a GDPR client.
 */

/** Where a prompt is going, as the registry and the client's approvals describe it. */
export interface ServiceStanding {
  aiServiceId: string;
  name: string | null;
  /** The service is in the MSP's registry. */
  registered: boolean;
  /** The client's decision on the service: never approved, approved, or approved and later revoked. */
  approval: 'none' | 'approved' | 'revoked';
  baaSigned: boolean;
  dpaSigned: boolean;
  /**
   * The model asked for, when the gateway found no service in the registry that offers it (shadow AI): the analysis
   * is then against no service (`registered` false) and its reason names the model.
   */
  model?: string;
}

export interface PolicyContext {
  /** The client's policy, if it set one. */
  policy?: AiPolicy;
  /** The frameworks the client is held to: they bring default rules. */
  frameworks: readonly FrameworkId[];
  service: ServiceStanding;
}

/** A finding with what the policy does about it: as the analysis event records it, and as the API shows it. */
export const AssessedFinding = z.object({
  entity: z
    .string()
    .describe(
      "Presidio's entity names where Presidio has one (US_SSN, CREDIT_CARD, ...), or a custom pattern's entity",
    ),
  start: z.int().min(0).describe('JavaScript string index of the first character'),
  end: z.int().min(0).describe('Index after the last character'),
  score: z.number().min(0).max(1),
  rule: z.string().describe('The recognizer that fired, such as credit-card.luhn'),
  action: z.enum(ACTIONS).describe("What the client's policy does about this finding"),
});
export type AssessedFinding = Finding & z.output<typeof AssessedFinding>;

/** What a violation is about; evidence-expired is recorded by the evidence expiry watch, the others by prompt analysis. */
export const VIOLATION_KINDS = ['sensitive-data', 'unapproved-ai-service', 'evidence-expired'] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];
/** From least to most severe. */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Violation {
  kind: ViolationKind;
  action: Exclude<Action, 'allow'>;
  severity: Severity;
}

export interface Evaluation {
  decision: Action;
  findings: AssessedFinding[];
  reasons: string[];
  violations: Violation[];
}

/** When a client sets no policy: send nothing it should not, where unsure, warn. */
export const DEFAULT_UNAPPROVED_SERVICE_ACTION: Action = 'block';
const DEFAULT_MIN_SCORE = 0.5;

const rulesFor = (category: Category, action: Action): PolicyRule[] =>
  entitiesIn(category).map((entity) => ({ entity, minScore: DEFAULT_MIN_SCORE, action }));

/** Every client: credentials never leave, payment data is redacted, other personal data is flagged. */
export const BASELINE_RULES: readonly PolicyRule[] = [
  ...rulesFor('personal', 'warn'),
  ...rulesFor('phi', 'warn'),
  ...rulesFor('financial', 'redact'),
  ...rulesFor('secret', 'block'),
];

/** What each framework adds: HIPAA blocks PHI, GDPR redacts personal data. */
export const FRAMEWORK_RULES: Partial<Record<FrameworkId, readonly PolicyRule[]>> = {
  hipaa: rulesFor('phi', 'block'),
  gdpr: rulesFor('personal', 'redact'),
};

const FRAMEWORK_NAMES: Partial<Record<FrameworkId, string>> = { hipaa: 'HIPAA', gdpr: 'GDPR' };

interface Verdict {
  action: Action;
  source: string;
}

/** The strictest verdict; among equals the last, since verdicts come weakest source first (contracts last). */
function strictest(verdicts: Verdict[]): Verdict {
  return verdicts.reduce((best, v) => (ACTION_SEVERITY[v.action] >= ACTION_SEVERITY[best.action] ? v : best), {
    action: 'allow',
    source: 'no rule applies',
  });
}

function inCategory(entity: string, category: Category): boolean {
  const categories = (ENTITY_CATEGORIES as Record<string, readonly Category[] | undefined>)[entity];
  return categories?.includes(category) ?? false;
}

/** A rule applies to prompts for the services it names, or to every service when it names none. */
export const ruleAppliesTo = (rule: PolicyRule, aiServiceId: string): boolean =>
  rule.aiServiceIds === undefined || rule.aiServiceIds.includes(aiServiceId);

const forService = (source: string, rule: PolicyRule): string =>
  rule.aiServiceIds === undefined ? source : `${source} (for this AI service)`;

/** What a custom pattern's findings get when no client rule names its entity (at whatever score the pattern gives). */
export const CUSTOM_PATTERN_DEFAULT_ACTION: Action = 'warn';

const BUILT_IN = new Set<string>(BUILT_IN_ENTITIES);

/** An entity only the client's custom patterns find (a pattern named after a built-in entity keeps its defaults). */
const isCustomOnly = (entity: string, context: PolicyContext): boolean =>
  !BUILT_IN.has(entity) && (context.policy?.customPatterns ?? []).some((c) => c.entity === entity);

function verdictFor(finding: Finding, context: PolicyContext): Verdict {
  const clientRules = (context.policy?.rules ?? []).filter((rule) => ruleAppliesTo(rule, context.service.aiServiceId));
  const applies = (rule: PolicyRule) => finding.score >= rule.minScore;
  const verdicts: Verdict[] = [];
  const own = clientRules.filter((rule) => rule.entity === finding.entity);
  if (own.length > 0) {
    for (const rule of own.filter(applies))
      verdicts.push({
        action: rule.action,
        source: forService(`client policy: ${rule.entity} at score ${rule.minScore} or more`, rule),
      });
  } else {
    for (const rule of BASELINE_RULES)
      if (rule.entity === finding.entity && applies(rule))
        verdicts.push({ action: rule.action, source: 'default policy' });
    for (const framework of context.frameworks) {
      for (const rule of FRAMEWORK_RULES[framework] ?? []) {
        if (rule.entity === finding.entity && applies(rule))
          verdicts.push({ action: rule.action, source: `${FRAMEWORK_NAMES[framework]} default` });
      }
    }
    // A pattern the client defined is there to catch something: with no rule naming it, it is warned about.
    if (isCustomOnly(finding.entity, context))
      verdicts.push({ action: CUSTOM_PATTERN_DEFAULT_ACTION, source: 'default for a custom pattern' });
  }
  for (const rule of clientRules)
    if (rule.entity === '*' && applies(rule))
      verdicts.push({
        action: rule.action,
        source: forService(`client policy: any entity at score ${rule.minScore} or more`, rule),
      });

  // Contracts: what a vendor may receive at all.
  const { service } = context;
  if (finding.score >= DEFAULT_MIN_SCORE) {
    if (context.frameworks.includes('hipaa') && inCategory(finding.entity, 'phi') && !service.baaSigned)
      verdicts.push({ action: 'block', source: 'HIPAA: no business associate agreement with the vendor' });
    if (context.frameworks.includes('gdpr') && inCategory(finding.entity, 'personal') && !service.dpaSigned)
      verdicts.push({ action: 'block', source: 'GDPR: no data processing agreement with the vendor' });
  }
  return strictest(verdicts);
}

const SEVERITY: Record<Exclude<Action, 'allow'>, Severity> = { warn: 'low', redact: 'medium', block: 'high' };

function serviceProblem(service: ServiceStanding): string | null {
  const name = service.name ? `"${service.name}"` : service.aiServiceId;
  if (!service.registered && service.model !== undefined)
    return `No AI service in the registry offers the model "${service.model.slice(0, 100)}"`;
  if (!service.registered) return `AI service ${service.aiServiceId} is not in the registry`;
  if (service.approval === 'revoked') return `AI service ${name} was revoked for this client`;
  if (service.approval === 'none') return `AI service ${name} is not approved for this client`;
  return null;
}

/** Applies the policy: the decision, each finding's action, the reasons in words, and the violations to record. */
export function evaluate(findings: readonly Finding[], context: PolicyContext): Evaluation {
  const assessed: AssessedFinding[] = [];
  const grouped = new Map<string, { count: number; best: number }>();
  let dataAction: Action = 'allow';
  for (const finding of findings) {
    const verdict = verdictFor(finding, context);
    assessed.push({ ...finding, action: verdict.action });
    if (verdict.action === 'allow') continue;
    if (ACTION_SEVERITY[verdict.action] > ACTION_SEVERITY[dataAction]) dataAction = verdict.action;
    const key = `${finding.entity} → ${verdict.action} (${verdict.source})`;
    const group = grouped.get(key) ?? { count: 0, best: 0 };
    grouped.set(key, { count: group.count + 1, best: Math.max(group.best, finding.score) });
  }
  const reasons = [...grouped].map(([key, { count }]) => (count > 1 ? `${count} × ${key}` : key));
  const violations: Violation[] = [];
  if (dataAction !== 'allow') {
    const blockedSecret =
      dataAction === 'block' && assessed.some((f) => f.action === 'block' && inCategory(f.entity, 'secret'));
    violations.push({
      kind: 'sensitive-data',
      action: dataAction,
      severity: blockedSecret ? 'critical' : SEVERITY[dataAction],
    });
  }
  let decision = dataAction;
  const problem = serviceProblem(context.service);
  if (problem) {
    const action = context.policy?.unapprovedService ?? DEFAULT_UNAPPROVED_SERVICE_ACTION;
    reasons.unshift(`${problem} → ${action}`);
    // The rule for unapproved services decides the outcome of the call; a violation is recorded whatever it says.
    violations.push({
      kind: 'unapproved-ai-service',
      action: action === 'allow' ? 'warn' : action,
      severity: action === 'block' ? 'high' : 'medium',
    });
    if (ACTION_SEVERITY[action] > ACTION_SEVERITY[decision]) decision = action;
  }
  return { decision, findings: assessed, reasons, violations };
}

export type ExplainedRule = PolicyRule & { source: string };

/**
 * Every rule that applies to prompts sent to this service, per entity, with where it comes from: what a client's
 * staff see before they send anything.
 */
export function applicableRules(context: PolicyContext): ExplainedRule[] {
  const entities = new Set<string>([
    ...BUILT_IN_ENTITIES,
    ...(context.policy?.customPatterns ?? []).map((c) => c.entity),
  ]);
  const rules: ExplainedRule[] = [];
  for (const entity of entities) {
    const seen = new Set<string>();
    // The verdict at each threshold a rule names tells which rules bite, and from which score.
    const thresholds = new Set<number>([
      DEFAULT_MIN_SCORE,
      ...(isCustomOnly(entity, context) ? [0] : []),
      ...(context.policy?.rules ?? [])
        .filter((r) => (r.entity === entity || r.entity === '*') && ruleAppliesTo(r, context.service.aiServiceId))
        .map((r) => r.minScore),
    ]);
    for (const score of [...thresholds].sort((a, b) => a - b)) {
      const verdict = verdictFor({ entity, start: 0, end: 0, score, rule: '' }, context);
      const key = `${verdict.action}\u0000${verdict.source}`;
      if (verdict.action === 'allow' || seen.has(key)) continue;
      seen.add(key);
      rules.push({ entity, minScore: score, action: verdict.action, source: verdict.source });
    }
  }
  return rules;
}
