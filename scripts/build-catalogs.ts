/**
 * Builds the framework catalogs in domain/frameworks/catalogs/ from the openly licensed OSCAL files in
 * ../shared/catalogs (see its README for sources and licences). Keeps ids, titles and the tree; drops prose and
 * withdrawn controls. Run after a catalog changes:   npx tsx scripts/build-catalogs.ts [../shared/catalogs]
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
  parts?: OscalPart[];
}
interface OscalControl {
  id: string;
  title: string;
  class?: string;
  props?: Array<{ name: string; value: string }>;
  controls?: OscalControl[];
  parts?: OscalPart[];
}
interface OscalGroup {
  id?: string;
  title: string;
  groups?: OscalGroup[];
  controls?: OscalControl[];
}

const clean = (text: string): string =>
  text
    .replace(/窶冱/g, "'s") // mis-decoded right quote in the AI RMF source (see the catalogs README)
    .replace(/窶[\u0080-\uFFFF]?/g, "'")
    .replace(/\s+/g, ' ')
    .trim();

const prop = (control: OscalControl, name: string): string | undefined =>
  control.props?.find((p) => p.name === name)?.value;
const withdrawn = (control: OscalControl): boolean => prop(control, 'status') === 'withdrawn';

function fromControl(control: OscalControl): CatalogNode {
  const children = (control.controls ?? []).filter((c) => !withdrawn(c)).map(fromControl);
  return {
    id: prop(control, 'label') ?? control.id,
    title: clean(control.title),
    kind: 'requirement',
    ...(children.length ? { children } : {}),
  };
}

function fromGroup(group: OscalGroup, index: number): CatalogNode {
  const children = [
    ...(group.groups ?? []).map(fromGroup),
    ...(group.controls ?? []).filter((c) => !withdrawn(c)).map(fromControl),
  ];
  return { id: group.id ?? `group-${index + 1}`, title: clean(group.title), kind: 'group', children };
}

function oscalJson(file: string): { title: string; version: string; groups: OscalGroup[] } {
  const { catalog } = JSON.parse(readFileSync(join(source, file), 'utf8')) as {
    catalog: { metadata: { title: string; version: string }; groups: OscalGroup[] };
  };
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
  requirements: nist.groups.map(fromGroup),
});

const hipaa = oscalJson('hipaa-2.0.0_catalog.json');
write({
  id: 'hipaa',
  name: 'HIPAA Security Rule',
  version: hipaa.version,
  source: { title: hipaa.title, license: 'Apache-2.0', origin: 'oscal-compass/oscal-content' },
  requirements: hipaa.groups.map(fromGroup),
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
  requirements: airmf.groups.map(fromGroup),
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
  return { id: node.id, title, kind, ...(children.length ? { children } : {}) };
}
write({
  id: 'nist-csf-2',
  name: 'NIST Cybersecurity Framework 2.0',
  version: String(csf.metadata.version),
  source: { title: text(csf.metadata.title), license: 'CC0 1.0 / US public domain', origin: 'usnistgov/oscal-content' },
  requirements: csf.group.map((group) => fromCsf(group, 0)),
});
