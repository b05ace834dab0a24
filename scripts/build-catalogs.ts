/**
 * Builds the framework catalogs in domain/frameworks/catalogs/ from the openly licensed OSCAL files in
 * ../shared/catalogs (see its README for sources and licences). Keeps ids, official citations, titles, each
 * requirement's statement (and SP 800-53's guidance) and the tree; drops withdrawn controls. Run after a catalog changes:   npx tsx scripts/build-catalogs.ts [../shared/catalogs]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import type { CatalogNode, FrameworkCatalog } from '../domain/frameworks/catalog.js';

const source = process.argv[2] ?? new URL('../../shared/catalogs', import.meta.url).pathname;
const target = new URL('../domain/frameworks/catalogs/', import.meta.url).pathname;

interface OscalPart {
  name?: string;
  prose?: string;
  props?: Array<{ name: string; value: string }>;
  parts?: OscalPart[];
}
interface OscalParam {
  id: string;
  label?: string;
  select?: { 'how-many'?: string; choice?: string[] };
}
interface OscalControl {
  id: string;
  title: string;
  class?: string;
  props?: Array<{ name: string; value: string }>;
  params?: OscalParam[];
  controls?: OscalControl[];
  parts?: OscalPart[];
}
interface OscalGroup {
  id?: string;
  title: string;
  props?: Array<{ name: string; value: string }>;
  params?: OscalParam[];
  parts?: OscalPart[];
  groups?: OscalGroup[];
  controls?: OscalControl[];
}

const clean = (text: string): string =>
  text
    .replace(/窶冱/g, "'s") // mis-decoded right quote in the AI RMF source (see the catalogs README)
    .replace(/窶[\u0080-\uFFFF]?/g, "'")
    .replace(/\s+/g, ' ')
    .trim();

/** Prose with its paragraphs and lines kept (one per line), spaces inside a line folded. */
const cleanLines = (text: string): string => text.split(/\n+/).map(clean).filter(Boolean).join('\n');

const prop = (node: { props?: Array<{ name: string; value: string }> }, name: string): string | undefined =>
  node.props?.find((p) => p.name === name)?.value;
const withdrawn = (control: OscalControl): boolean => prop(control, 'status') === 'withdrawn';

/**
 * The parameters of a catalog by id, so that a statement reads as NIST prints it: "[Assignment: organization-defined
 * frequency]", "[Selection (one or more): …]".
 */
const params = new Map<string, OscalParam>();
function collectParams(groups: OscalGroup[]): void {
  const fromControls = (controls: OscalControl[]): void => {
    for (const control of controls) {
      for (const param of control.params ?? []) params.set(param.id, param);
      fromControls(control.controls ?? []);
    }
  };
  for (const group of groups) {
    for (const param of group.params ?? []) params.set(param.id, param);
    collectParams(group.groups ?? []);
    fromControls(group.controls ?? []);
  }
}
function insertParams(prose: string, depth = 0): string {
  return prose.replace(/\{\{\s*insert:\s*param,\s*([^\s}]+)\s*\}\}/g, (_match, id: string) => {
    const param = params.get(id);
    if (!param || depth > 5) return `[${id}]`;
    if (param.select?.choice) {
      const many = param.select['how-many'] === 'one-or-more' ? ' (one or more)' : '';
      return `[Selection${many}: ${param.select.choice.map((c) => insertParams(c, depth + 1).trim()).join('; ')}]`;
    }
    return `[Assignment: ${param.label ?? id}]`;
  });
}

/** A part's prose and its items', one per line, each with its label ("a.", "1.", "(a)"). */
function proseOf(part: OscalPart): string {
  const label = prop(part, 'label');
  const own = part.prose ? insertParams(part.prose) : '';
  const lines = [[label, own].filter(Boolean).join(' '), ...(part.parts ?? []).map(proseOf)];
  return cleanLines(lines.filter(Boolean).join('\n'));
}
const partText = (parts: OscalPart[] | undefined, name: string): string | undefined => {
  const text = (parts ?? [])
    .filter((p) => p.name === name)
    .map(proseOf)
    .join('\n');
  return text || undefined;
};

/**
 * How a source writes its citations. HIPAA's resource guide puts the Security Rule identifiers on its groups
 * (`security-rule-identifiers` on a safeguard, `standards-identifiers` on a standard): its requirements, the guide's
 * activities under a standard, cite that standard. The other sources label each control.
 */
interface Citing {
  ofGroup: (group: OscalGroup, inherited: string | undefined) => string | undefined;
  ofControl: (control: OscalControl, inherited: string | undefined) => string | undefined;
  guidance: boolean;
}
const byLabel: Citing = {
  ofGroup: () => undefined,
  ofControl: (control) => prop(control, 'label') ?? control.id,
  guidance: true,
};

function fromControl(control: OscalControl, citing: Citing, inherited: string | undefined): CatalogNode {
  const children = (control.controls ?? []).filter((c) => !withdrawn(c)).map((c) => fromControl(c, citing, inherited));
  const citation = citing.ofControl(control, inherited);
  const statement = partText(control.parts, 'statement');
  const guidance = citing.guidance ? partText(control.parts, 'guidance') : undefined;
  return {
    id: prop(control, 'label') ?? control.id,
    ...(citation ? { citation } : {}),
    title: clean(control.title),
    ...(statement ? { statement } : {}),
    ...(guidance ? { guidance } : {}),
    kind: 'requirement',
    ...(children.length ? { children } : {}),
  };
}

function fromGroup(citing: Citing, inherited?: string) {
  return (group: OscalGroup, index: number): CatalogNode => {
    const citation = citing.ofGroup(group, inherited);
    const children = [
      ...(group.groups ?? []).map(fromGroup(citing, citation ?? inherited)),
      ...(group.controls ?? []).filter((c) => !withdrawn(c)).map((c) => fromControl(c, citing, citation ?? inherited)),
    ];
    const statement = partText(group.parts, 'description');
    return {
      id: group.id ?? `group-${index + 1}`,
      ...(citation ? { citation } : {}),
      title: clean(group.title),
      ...(statement ? { statement } : {}),
      kind: 'group',
      children,
    };
  };
}

function oscalJson(file: string): { title: string; version: string; groups: OscalGroup[] } {
  const { catalog } = JSON.parse(readFileSync(join(source, file), 'utf8')) as {
    catalog: { metadata: { title: string; version: string }; groups: OscalGroup[] };
  };
  collectParams(catalog.groups);
  return { title: catalog.metadata.title, version: catalog.metadata.version, groups: catalog.groups };
}

function write(catalog: FrameworkCatalog): void {
  writeFileSync(join(target, `${catalog.id}.json`), `${JSON.stringify(catalog)}\n`);
  const count = (nodes: CatalogNode[]): number =>
    nodes.reduce((n, node) => n + (node.kind === 'requirement' ? 1 : 0) + count(node.children ?? []), 0);
  console.log(`${catalog.id}: ${count(catalog.requirements)} requirements`);
}

const nist = oscalJson('NIST_SP-800-53_rev5_catalog.json');
write({
  id: 'nist-800-53',
  name: 'NIST SP 800-53 Rev. 5',
  version: nist.version,
  source: { title: nist.title, license: 'CC0 1.0 / US public domain', origin: 'usnistgov/oscal-content' },
  requirements: nist.groups.map(fromGroup(byLabel)),
});

/**
 * The resource guide's props name the Security Rule's standards only. Where one of its activities is the text of an
 * implementation specification of 45 CFR Part 164 Subpart C (its statement quotes the Rule), the requirement cites that
 * paragraph instead, as an auditor would. This table is our reading of the Rule, not the OSCAL source; every other
 * activity cites its standard from the props.
 */
const HIPAA_SPECIFICATIONS: Record<string, string> = {
  'hipaa-002': '164.308(a)(1)(ii)(A)', // risk analysis
  'hipaa-003': '164.308(a)(1)(ii)(B)', // risk management
  'hipaa-006': '164.308(a)(1)(ii)(C)', // sanction policy
  'hipaa-009': '164.308(a)(1)(ii)(D)', // information system activity review
  'hipaa-013': '164.308(a)(3)(ii)(A)', // authorization and/or supervision
  'hipaa-017': '164.308(a)(3)(ii)(B)', // workforce clearance procedure
  'hipaa-019': '164.308(a)(3)(ii)(C)', // termination procedures
  'hipaa-020': '164.308(a)(4)(ii)(A)', // isolating health care clearinghouse functions
  'hipaa-022': '164.308(a)(4)(ii)(B)', // access authorization
  'hipaa-024': '164.308(a)(4)(ii)(C)', // access establishment and modification
  'hipaa-035': '164.308(a)(5)(ii)(A)', // security reminders
  'hipaa-029': '164.308(a)(5)(ii)(B)', // protection from malicious software
  'hipaa-030': '164.308(a)(5)(ii)(C)', // log-in monitoring
  'hipaa-031': '164.308(a)(5)(ii)(D)', // password management
  'hipaa-047': '164.308(a)(7)(ii)(C)', // emergency mode operation plan
  'hipaa-049': '164.308(a)(7)(ii)(D)', // testing and revision procedures
  'hipaa-043': '164.308(a)(7)(ii)(E)', // applications and data criticality analysis
  'hipaa-065': '164.310(a)(2)(i)', // contingency operations
  'hipaa-061': '164.310(a)(2)(ii)', // facility security plan
  'hipaa-063': '164.310(a)(2)(iii)', // access control and validation procedures
  'hipaa-067': '164.310(a)(2)(iv)', // maintenance records
  'hipaa-074': '164.310(d)(2)(i)', // disposal
  'hipaa-075': '164.310(d)(2)(ii)', // media re-use
  'hipaa-077': '164.310(d)(2)(iii)', // accountability
  'hipaa-079': '164.310(d)(2)(iv)', // data backup and storage
  'hipaa-082': '164.312(a)(2)(i)', // unique user identification
  'hipaa-086': '164.312(a)(2)(ii)', // emergency access procedure
  'hipaa-088': '164.312(a)(2)(iii)', // automatic logoff
  'hipaa-089': '164.312(a)(2)(iv)', // encryption and decryption
  'hipaa-101': '164.312(c)(2)', // mechanism to authenticate ePHI
  'hipaa-109': '164.312(e)(2)(i)', // integrity controls
  'hipaa-111': '164.312(e)(2)(ii)', // encryption
  'hipaa-124': '164.316(b)(2)(i)', // time limit
  'hipaa-125': '164.316(b)(2)(ii)', // availability
  'hipaa-126': '164.316(b)(2)(iii)', // updates
};

const hipaa = oscalJson('hipaa-2.0.0_catalog.json');
write({
  id: 'hipaa',
  name: 'HIPAA Security Rule',
  version: hipaa.version,
  source: { title: hipaa.title, license: 'Apache-2.0', origin: 'oscal-compass/oscal-content' },
  requirements: hipaa.groups.map(
    fromGroup({
      ofGroup: (group) => {
        const identifier = prop(group, 'standards-identifiers') ?? prop(group, 'security-rule-identifiers');
        return identifier ? `§${identifier}` : undefined;
      },
      ofControl: (control, inherited) =>
        HIPAA_SPECIFICATIONS[control.id] ? `§${HIPAA_SPECIFICATIONS[control.id]}` : inherited,
      guidance: false,
    }),
  ),
});

const airmf = oscalJson('nist_ai_rmf_gen_ai-1.0.0_catalog.json');
write({
  id: 'nist-ai-rmf',
  name: 'NIST AI RMF: Generative AI Profile (NIST AI 600-1)',
  version: airmf.version,
  source: {
    title: 'NIST AI Risk Management Framework Generative AI Profile',
    license: 'Apache-2.0',
    origin: 'oscal-compass/oscal-content',
  },
  requirements: airmf.groups.map(
    fromGroup({ ofGroup: (group) => group.id, ofControl: (control) => control.id, guidance: false }),
  ),
});

// CSF 2.0 is published as OSCAL XML only. Subcategories carry their id as title; their statement is the text.
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => ['group', 'control', 'part', 'prop', 'p'].includes(name),
});
interface XmlNode {
  id: string;
  title: string | { '#text': string };
  control?: XmlNode[];
  part?: Array<{ name: string; p?: Array<string | { '#text': string }> }>;
}
const csf = parser.parse(readFileSync(join(source, 'NIST_CSF_v2.0_catalog.xml'), 'utf8')).catalog as {
  metadata: { title: string; version: string };
  group: XmlNode[];
};
const text = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : typeof value === 'object' && value && '#text' in value
      ? String((value as { '#text': unknown })['#text'])
      : '';
// Functions and categories organise; subcategories (the outcomes) are what an assessment answers.
function fromCsf(node: XmlNode, depth: number): CatalogNode {
  const statement = node.part
    ?.find((p) => p.name === 'statement')
    ?.p?.map(text)
    .join(' ');
  const title = clean(text(node.title) === node.id && statement ? statement : text(node.title));
  const kind = depth < 2 ? 'group' : 'requirement';
  const children = (node.control ?? []).map((child) => fromCsf(child, depth + 1));
  return {
    id: node.id,
    citation: node.id,
    title,
    ...(statement ? { statement: clean(statement) } : {}),
    kind,
    ...(children.length ? { children } : {}),
  };
}
write({
  id: 'nist-csf-2',
  name: 'NIST Cybersecurity Framework 2.0',
  version: String(csf.metadata.version),
  source: { title: text(csf.metadata.title), license: 'CC0 1.0 / US public domain', origin: 'usnistgov/oscal-content' },
  requirements: csf.group.map((group) => fromCsf(group, 0)),
});
