import { citationOf, requirementById, requirementList, type FrameworkCatalog } from '../frameworks/catalog.js';

/**
 * The default policy generator: deterministic templates, no network. The same framework and context always give
 * the same document. Sections appear according to the context (the data handled, the jurisdictions, the AI tools),
 * and each section traces to the framework requirements it answers, cited as the framework cites them
 * (`§164.308(a)(1)`, `AC-2(1)` …). Version 2 writes those official citations where version 1 wrote our ids.
 */
export const TEMPLATE_GENERATOR = { name: 'template', version: '2' } as const;

export interface CompanyContext {
  name: string;
  industry: string;
  size: string;
  /** Kinds of data handled: phi, pii, financial, payment, source_code, confidential, … */
  dataTypes: string[];
  aiTools: string[];
  /** Where the company operates or whose residents' data it handles: US, EU, UK, CA, … */
  jurisdictions: string[];
}

export interface GeneratedPolicy {
  title: string;
  content: string;
  /** Requirement ids (`hipaa-001`) each section traces to; the text cites them officially (`§164.308(a)(1)`). */
  traces: Record<string, string[]>;
}

interface Section {
  key: string;
  heading: string;
  /** Words that, found in a requirement's title, make it one this section answers. */
  keywords: string[];
  when?: (context: CompanyContext, catalog: FrameworkCatalog) => boolean;
  body: (context: CompanyContext, catalog: FrameworkCatalog) => string[];
}

const has = (list: string[], ...values: string[]): boolean =>
  list.some((item) => values.includes(item.trim().toLowerCase()));
const small = (context: CompanyContext): boolean => ['1-10', '11-50'].includes(context.size);
const officer = (context: CompanyContext): string =>
  small(context) ? 'the owner or a person they name as compliance officer' : 'the designated compliance officer';
const handlesPhi = (c: CompanyContext, f: FrameworkCatalog): boolean =>
  has(c.dataTypes, 'phi', 'ephi', 'health') || f.id === 'hipaa';
const handlesPersonalData = (c: CompanyContext, f: FrameworkCatalog): boolean =>
  has(c.dataTypes, 'pii', 'personal') || has(c.jurisdictions, 'eu', 'eea', 'uk') || f.id === 'gdpr';

const SECTIONS: Section[] = [
  {
    key: 'purpose',
    heading: 'Purpose and scope',
    keywords: ['policy', 'policies', 'governance', 'procedures'],
    body: (c, f) => [
      `This policy sets the rules for using artificial intelligence (AI) tools at ${c.name}, a ${c.industry} organisation, so that their use meets ${f.name} and protects the data entrusted to us.`,
      'It applies to every employee, contractor and temporary worker, on company and personal devices, whenever company or customer information is involved.',
    ],
  },
  {
    key: 'roles',
    heading: 'Roles and responsibilities',
    keywords: ['responsib', 'roles', 'accountab', 'oversight', 'leadership'],
    body: (c) => [
      `- **Compliance officer**: ${officer(c)}. Owns this policy, approves AI tools, reviews exceptions and reports on compliance.`,
      '- **Managers** make sure their teams know and follow this policy.',
      '- **Every user** of an AI tool follows this policy and reports anything that goes wrong at once.',
    ],
  },
  {
    key: 'approved-tools',
    heading: 'Approved AI tools',
    keywords: ['third-party', 'third party', 'acquisition', 'gai', 'inventory', 'system component'],
    body: (c) =>
      c.aiTools.length > 0
        ? [
            'Only these AI tools may be used for work, and only through accounts the company provides:',
            ...c.aiTools.map((tool) => `- ${tool}`),
            'Any other AI tool needs the compliance officer’s written approval first. Approvals and revocations are recorded in the compliance ledger.',
          ]
        : [
            'No AI tool is approved yet. Until one is, no company or customer information may be entered into any AI tool.',
          ],
  },
  {
    key: 'data-handling',
    heading: 'What may never be entered into an AI tool',
    keywords: ['data', 'information', 'classification', 'confidential', 'sensitive'],
    body: (c) => [
      '- Passwords, API keys, access tokens, private keys or any other secret.',
      '- Government identifiers (social security, passport, driver’s licence numbers), bank and card numbers.',
      ...(has(c.dataTypes, 'source_code')
        ? ['- Proprietary source code, unless the tool is approved for code and configured not to retain it.']
        : []),
      ...(has(c.dataTypes, 'confidential', 'financial')
        ? ['- Non-public financial results and confidential business plans.']
        : []),
      'Prompts are checked automatically before they reach an AI tool. A prompt that carries sensitive data is redacted or blocked according to the client’s AI usage policy, and the event is recorded without the sensitive data itself.',
    ],
  },
  {
    key: 'phi',
    heading: 'Protected health information',
    keywords: ['ephi', 'health', 'business associate', 'hipaa'],
    when: handlesPhi,
    body: () => [
      'Protected health information (PHI) is entered only into AI tools covered by a signed business associate agreement (BAA), and only the minimum necessary.',
      'The eighteen HIPAA Safe Harbor identifiers (names, dates, contact details, record and account numbers, device identifiers, full-face photographs and the like) are removed before any other use.',
    ],
  },
  {
    key: 'personal-data',
    heading: 'Personal data',
    keywords: ['personal', 'privacy', 'consent', 'data subject', 'lawful'],
    when: handlesPersonalData,
    body: () => [
      'Personal data is used with an AI tool only for a documented purpose with a lawful basis, and only with vendors bound by a data processing agreement (DPA).',
      'A new use of AI on personal data starts with a data protection impact assessment. Requests from data subjects to access, correct or erase their data are honoured within one month.',
    ],
  },
  {
    key: 'payment',
    heading: 'Cardholder data',
    keywords: ['payment', 'cardholder', 'financial'],
    when: (c) => has(c.dataTypes, 'payment', 'cardholder'),
    body: () => [
      'Card numbers and security codes are never entered into an AI tool. Where a card must be referred to, only its last four digits are used.',
    ],
  },
  {
    key: 'access',
    heading: 'Accounts and access',
    keywords: ['access', 'authentication', 'account', 'identity', 'least privilege'],
    body: () => [
      'AI tools are used through company accounts with single sign-on or multi-factor authentication. Access follows least privilege and ends when a person leaves or changes role.',
    ],
  },
  {
    key: 'vendors',
    heading: 'AI vendors',
    keywords: ['vendor', 'supplier', 'supply chain', 'contract', 'processor', 'agreement'],
    body: (c, f) => [
      'Before approval, each AI vendor is reviewed for data retention, training on customer data, data location, security certifications and incident history.',
      ...(handlesPhi(c, f) ? ['Vendors that may receive PHI sign a BAA.'] : []),
      ...(handlesPersonalData(c, f)
        ? [
            'Vendors that may receive personal data sign a DPA, and transfers outside the jurisdiction rely on an approved safeguard.',
          ]
        : []),
    ],
  },
  {
    key: 'incidents',
    heading: 'Incidents',
    keywords: ['incident', 'breach', 'response', 'anomal'],
    body: (c, f) => [
      'Anyone who enters prohibited data into an AI tool, or sees an AI tool expose data, tells the compliance officer the same day.',
      ...(handlesPersonalData(c, f)
        ? [
            'A personal data breach is assessed at once; where the law requires, the authority is notified within 72 hours.',
          ]
        : []),
      ...(handlesPhi(c, f)
        ? ['A breach of unsecured PHI is notified as the HIPAA Breach Notification Rule requires.']
        : []),
    ],
  },
  {
    key: 'training',
    heading: 'Training',
    keywords: ['training', 'awareness', 'competen'],
    body: () => ['Everyone covered by this policy completes AI safety training before first use and every year after.'],
  },
  {
    key: 'monitoring',
    heading: 'Monitoring, review and exceptions',
    keywords: ['monitor', 'audit', 'log', 'review', 'evaluat'],
    body: () => [
      'The use of AI tools is monitored through the compliance ledger. This policy is reviewed at least once a year and whenever the tools or the law change.',
      'Exceptions are requested in writing, approved by the compliance officer for a limited time, and recorded.',
    ],
  },
];

/** Requirement ids with their lower-cased titles, computed once per catalog: tracing runs for every section. */
const searchable = new WeakMap<FrameworkCatalog, Array<{ id: string; title: string }>>();

function traces(catalog: FrameworkCatalog, keywords: string[], max = 4): string[] {
  let requirements = searchable.get(catalog);
  if (!requirements) {
    requirements = requirementList(catalog).map((r) => ({ id: r.id, title: r.title.toLowerCase() }));
    searchable.set(catalog, requirements);
  }
  const found: string[] = [];
  for (const requirement of requirements) {
    if (keywords.some((keyword) => requirement.title.includes(keyword))) found.push(requirement.id);
    if (found.length === max) break;
  }
  return found;
}

/**
 * The official citations of requirements with their titles, in order: "§164.308(a)(1) (Conduct Risk Assessment;
 * Implement a Risk Management Program), §164.308(a)(6) (…)". Several HIPAA activities share their standard's citation:
 * it is written once, with each activity's title.
 */
export function citations(catalog: FrameworkCatalog, ids: string[]): string {
  const cited = new Map<string, string[]>();
  for (const id of ids) {
    const requirement = requirementById(catalog, id);
    const citation = requirement ? citationOf(requirement) : id;
    cited.set(citation, [...(cited.get(citation) ?? []), ...(requirement ? [requirement.title] : [])]);
  }
  return [...cited]
    .map(([citation, titles]) => (titles.length > 0 ? `${citation} (${titles.join('; ')})` : citation))
    .join(', ');
}

export function generatePolicy(catalog: FrameworkCatalog, context: CompanyContext): GeneratedPolicy {
  const title = `AI Acceptable Use Policy: ${context.name}`;
  const lines = [
    `# ${title}`,
    '',
    `*Framework: ${catalog.name} (catalog ${catalog.version}). Industry: ${context.industry}. Organisation size: ${context.size}.*`,
  ];
  const traced: Record<string, string[]> = {};
  let number = 0;
  for (const section of SECTIONS) {
    if (section.when && !section.when(context, catalog)) continue;
    number++;
    const ids = traces(catalog, section.keywords);
    traced[section.key] = ids;
    lines.push(
      '',
      `## ${number}. ${section.heading}`,
      '',
      ...section
        .body(context, catalog)
        .flatMap((paragraph, i, all) =>
          paragraph.startsWith('- ') && all[i + 1]?.startsWith('- ') ? [paragraph] : [paragraph, ''],
        ),
    );
    if (ids.length > 0) lines.push(`> Traces to ${catalog.name}: ${citations(catalog, ids)}`);
  }
  return {
    title,
    content: `${lines
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim()}\n`,
    traces: traced,
  };
}
