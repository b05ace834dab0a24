import { z } from 'zod';
import { FRAMEWORK_IDS } from '../../domain/frameworks/index.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { Id, resource } from '../../infrastructure/http/contract/schemas.js';
import { scopeOf, verifyFor } from '../history/client-scope.js';
import { minPosition } from '../http/min-position.js';
import { AsOf, readAt, visibleClient, type ReadDeps } from '../http/reads.js';
import { ComplianceReport, complianceReport, REPORT_PROJECTIONS } from './compliance-report.js';
import { complianceReportPdf } from './pdf.js';

/** GET /reports/compliance: one client's compliance with one framework, now or as of ?asOf, as JSON or PDF. */
export function reportReads(deps: ReadDeps & { waitMs: number }) {
  return [
    operation({
      operationId: 'complianceReport',
      method: 'get',
      path: '/reports/compliance',
      tags: ['reports'],
      summary: "One client's compliance with one framework, now or as of asOf, as JSON or a paginated PDF",
      description:
        'The score and progress of the latest assessment (recomputed at the moment, over its pinned catalog version and the evidence freshness then), results per assessed requirement with linked evidence and its freshness, policies in force, violations over the 30 days before (open and resolved at the moment), the score over time (a chart in the PDF), and the hash-chain verification of the tenant, run when the report is made.',
      access: { permission: 'assessment:read' },
      headers: ['X-Min-Position'],
      query: z.object({
        clientId: Id,
        frameworkId: z.enum(FRAMEWORK_IDS),
        asOf: AsOf,
        format: z.enum(['json', 'pdf']).default('json'),
      }),
      answers: {
        200: {
          description: 'The report',
          schema: resource(ComplianceReport),
          files: { 'application/pdf': null },
        },
        404: { description: 'No such client (at that moment)', problem: true },
      },
      before: [minPosition(deps.database, deps.eventStore, REPORT_PROJECTIONS, deps.waitMs)],
      async handler(req, res) {
        const actor = authOf(res);
        const { clientId, frameworkId, asOf, format } = req.query;
        await visibleClient(deps.eventStore, actor, clientId);
        const { data, meta } = await readAt(
          deps,
          actor,
          asOf,
          { projections: REPORT_PROJECTIONS },
          (trx, at, position) => complianceReport(trx, { at, position }, { clientId, frameworkId }),
        );
        // The chain is verified as it stands: a tampered event is reported whatever moment the report is of.
        const verification = {
          ...(await verifyFor(deps.eventStore, actor.tenantId, scopeOf(deps.eventStore, actor))),
          verifiedAt: new Date().toISOString(),
        };
        const report = { ...data, verification };
        if (format === 'json') {
          res.json({ data: report, meta });
          return;
        }
        const pdf = await complianceReportPdf(report);
        const name = `compliance-${frameworkId}-${report.asOf.slice(0, 10)}.pdf`;
        res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
        res.type('application/pdf').send(pdf);
      },
    }),
  ];
}
