/** A framework's requirements as versioned data: ids, titles and the tree they form. */
export const FRAMEWORK_IDS = ['hipaa', 'gdpr', 'soc2', 'nist-800-53', 'nist-csf-2', 'nist-ai-rmf'] as const;
export type FrameworkId = (typeof FRAMEWORK_IDS)[number];

export interface CatalogNode {
  id: string;
  /**
   * The official citation as the source writes it: `§164.308(a)(1)` (HIPAA Security Rule), `AC-2(1)` (SP 800-53),
   * `GV.OC-01` (CSF 2.0), `GV-1.1-001` (AI RMF), `CC6.1` (SOC 2), `Art. 32` (GDPR). Every requirement has one.
   */
  citation?: string;
  title: string;
  /** What the requirement asks, in the source's words, where the source has it. */
  statement?: string;
  /** The source's discussion or guidance, where it has one (SP 800-53). */
  guidance?: string;
  /** Groups organise; requirements are what an assessment answers. A requirement may have sub-requirements. */
  kind: 'group' | 'requirement';
  children?: CatalogNode[];
}

export interface FrameworkCatalog {
  id: FrameworkId;
  name: string;
  /** The catalog version an assessment pins. */
  version: string;
  source: { title: string; license: string; origin: string };
  requirements: CatalogNode[];
}

const lists = new WeakMap<FrameworkCatalog, ReadonlyArray<CatalogNode & { path: string[] }>>();

/** Every requirement of a catalog as a list, computed once per catalog: routes and the generator look at it often. */
export function requirementList(catalog: FrameworkCatalog): ReadonlyArray<CatalogNode & { path: string[] }> {
  let list = lists.get(catalog);
  if (!list) lists.set(catalog, (list = [...requirementsOf(catalog)]));
  return list;
}

/** Every requirement of a catalog, depth first, with the path of groups above it. */
export function* requirementsOf(catalog: FrameworkCatalog): Generator<CatalogNode & { path: string[] }> {
  function* walk(nodes: CatalogNode[], path: string[]): Generator<CatalogNode & { path: string[] }> {
    for (const node of nodes) {
      if (node.kind === 'requirement') yield { ...node, path };
      if (node.children) yield* walk(node.children, [...path, node.id]);
    }
  }
  yield* walk(catalog.requirements, []);
}

/**
 * A group of requirements written as [id, title] pairs: how our own summaries (GDPR, SOC 2) are kept. A requirement's
 * citation is its id as the framework writes it (`citationOf` turns `Art.5(2)` into `Art. 5(2)`).
 */
export function summaryGroup(
  id: string,
  title: string,
  children: Array<[id: string, title: string]>,
  citationOf: (id: string) => string = (childId) => childId,
): CatalogNode {
  return {
    id,
    title,
    kind: 'group',
    children: children.map(([childId, childTitle]) => ({
      id: childId,
      citation: citationOf(childId),
      title: childTitle,
      kind: 'requirement',
    })),
  };
}

/** A requirement's official citation, falling back to its id for a catalog built before citations were kept. */
export const citationOf = (requirement: Pick<CatalogNode, 'id' | 'citation'>): string =>
  requirement.citation ?? requirement.id;

/** What an answer about a requirement shows of it; null throughout when the pinned catalog version is not shipped. */
export interface RequirementFacts {
  citation: string | null;
  title: string | null;
  statement: string | null;
}

export function requirementFacts(catalog: FrameworkCatalog | null, id: string): RequirementFacts {
  const requirement = catalog ? requirementById(catalog, id) : undefined;
  return requirement
    ? { citation: citationOf(requirement), title: requirement.title, statement: requirement.statement ?? null }
    : { citation: null, title: null, statement: null };
}

const indexes = new WeakMap<FrameworkCatalog, ReadonlyMap<string, CatalogNode & { path: string[] }>>();

/** One requirement of a catalog by its id (`hipaa-001`, `AC-2(1)` …), or undefined. */
export function requirementById(catalog: FrameworkCatalog, id: string): (CatalogNode & { path: string[] }) | undefined {
  let index = indexes.get(catalog);
  if (!index) indexes.set(catalog, (index = new Map(requirementList(catalog).map((r) => [r.id, r]))));
  return index.get(id);
}
