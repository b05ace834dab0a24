import { z } from 'zod';
import {
  FRAMEWORK_IDS,
  FRAMEWORKS,
  frameworkSummary,
  type CatalogNode as CatalogTreeNode,
  type FrameworkId,
} from '../../domain/frameworks/index.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { page, Paging, resource } from '../../infrastructure/http/contract/schemas.js';
import { pageOfItems } from '../http/reads.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';

/** A node of a catalog's tree: a group, or a requirement, either with the nodes under it. */
export const CatalogNode: z.ZodType<CatalogTreeNode> = z
  .object({
    id: z
      .string()
      .describe("The ledger's id of the requirement (`hipaa-001`, `AC-2(1)` …): what assessments and traces name"),
    citation: z
      .string()
      .optional()
      .describe(
        'The official citation: `§164.308(a)(1)` (HIPAA Security Rule), `AC-2(1)`, `GV.OC-01`, `GV-1.1-001`, `CC6.1`, `Art. 32`; on every requirement',
      ),
    title: z.string(),
    statement: z
      .string()
      .optional()
      .describe("What the requirement asks, in the source's words (lines separated by \\n)"),
    guidance: z.string().optional().describe("The source's discussion of the requirement, where it has one"),
    kind: z.enum(['group', 'requirement']),
    get children() {
      return z.array(CatalogNode).optional();
    },
  })
  .meta({ id: 'CatalogNode' });

const FrameworkSummary = z
  .object({
    frameworkId: z.enum(FRAMEWORK_IDS),
    name: z.string(),
    version: z.string().describe('The catalog version an assessment pins'),
    source: z.object({ title: z.string(), license: z.string(), origin: z.string() }).partial(),
    requirementCount: z.int(),
  })
  .meta({ id: 'FrameworkSummary' });

const read = { permission: 'framework:read' } as const;

/** GET /frameworks and /frameworks/{id}: the catalogs, served from the versioned data in domain/frameworks. */
export function frameworkReads() {
  const summaries = FRAMEWORK_IDS.map((id) => frameworkSummary(FRAMEWORKS[id]));
  return [
    operation({
      operationId: 'listFrameworks',
      method: 'get',
      path: '/frameworks',
      tags: ['frameworks'],
      summary: 'The compliance frameworks, with their catalog versions',
      access: read,
      query: Paging,
      answers: { 200: { description: 'Frameworks', schema: page(FrameworkSummary) } },
      handler(req, res) {
        res.json(pageOfItems(summaries, req.query));
      },
    }),
    operation({
      operationId: 'getFramework',
      method: 'get',
      path: '/frameworks/{id}',
      tags: ['frameworks'],
      summary: "A framework's requirements as a tree: ids, official citations, titles and statements",
      access: read,
      // Any text: an unknown framework is a 404 that points at the list, not a validation error.
      params: z.object({ id: z.string() }),
      answers: {
        200: {
          description: 'The catalog',
          schema: resource(FrameworkSummary.extend({ requirements: z.array(CatalogNode) })),
        },
        404: { description: 'No such framework', problem: true },
      },
      handler(req, res) {
        const id = req.params.id;
        if (!Object.hasOwn(FRAMEWORKS, id))
          throw new HttpProblem(404, 'not-found', 'Not found', `No framework ${id}; see GET /api/v1/frameworks.`);
        const catalog = FRAMEWORKS[id as FrameworkId];
        res.json({ data: { ...frameworkSummary(catalog), requirements: catalog.requirements }, meta: {} });
      },
    }),
  ];
}
