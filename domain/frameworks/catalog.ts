/** A framework's requirements as versioned data: ids, titles and the tree they form. */
export const FRAMEWORK_IDS = ['hipaa', 'gdpr', 'soc2', 'nist-800-53', 'nist-csf-2', 'nist-ai-rmf'] as const;
export type FrameworkId = (typeof FRAMEWORK_IDS)[number];

export interface CatalogNode {
  id: string;
  title: string;
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

/** A group of requirements written as [id, title] pairs: how our own summaries (GDPR, SOC 2) are kept. */
export function summaryGroup(id: string, title: string, children: Array<[id: string, title: string]>): CatalogNode {
  return {
    id,
    title,
    kind: 'group',
    children: children.map(([childId, childTitle]) => ({ id: childId, title: childTitle, kind: 'requirement' })),
  };
}
