import express, { type RequestHandler, type Router } from 'express';
import { FRAMEWORK_IDS, type FrameworkId } from '../../domain/frameworks/index.js';
import type { Database } from '../../infrastructure/database/database.js';
import type { EventStore } from '../../infrastructure/event-store/types.js';
import { authOf, requirePermission } from '../../infrastructure/http/authentication.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { asTenant } from '../../infrastructure/read-models/tenant-scope.js';
import { minPosition } from '../http/min-position.js';
import { atMoment, parseAsOf } from '../point-in-time/replay.js';
import { complianceReport, REPORT_PROJECTIONS } from './compliance-report.js';
import { complianceReportPdf } from './pdf.js';
import { scopeOf, verifyFor } from '../history/client-scope.js';

const invalid = (field: string, message: string) =>
  new HttpProblem(400, 'validation', 'The request is not valid', `${field}: ${message}`, {
    errors: [{ field, message }],
  });

/** GET /reports/compliance: one client's compliance with one framework, now or as of ?asOf, as JSON or PDF. */
export function reportRoutes(
  database: Database,
  eventStore: EventStore,
  waitMs: number,
  authenticated: RequestHandler,
): Router {
  const router = express.Router();
  router.get(
    '/reports/compliance',
    authenticated,
    requirePermission('assessment:read'),
    minPosition(database, eventStore, REPORT_PROJECTIONS, waitMs),
    async (req, res) => {
      const actor = authOf(res);
      const clientId = req.query.clientId === undefined ? '' : String(req.query.clientId);
      const frameworkId = String(req.query.frameworkId ?? '') as FrameworkId;
      if (!clientId) throw invalid('clientId', 'required');
      if (!FRAMEWORK_IDS.includes(frameworkId)) throw invalid('frameworkId', `one of ${FRAMEWORK_IDS.join(', ')}`);
      if (actor.clientId !== null && actor.clientId !== clientId)
        throw new HttpProblem(404, 'not-found', 'Not found', 'No such client.');
      const format = req.query.format === 'pdf' ? 'pdf' : 'json';
      const asOf = req.query.asOf === undefined ? undefined : parseAsOf(String(req.query.asOf));

      // The chain is verified as it stands: a tampered event is reported whatever moment the report is of.
      const verification = {
        ...(await verifyFor(eventStore, actor.tenantId, scopeOf(eventStore, actor))),
        verifiedAt: new Date().toISOString(),
      };
      const scope = { clientId, frameworkId };
      const report = asOf
        ? await atMoment(
            database,
            eventStore,
            { tenantId: actor.tenantId, asOf, projections: REPORT_PROJECTIONS, reader: scopeOf(eventStore, actor) },
            (trx, moment) => complianceReport(trx, moment, scope, verification),
          )
        : await asTenant(database.db, actor, (trx) =>
            complianceReport(trx, { at: new Date().toISOString(), position: null }, scope, verification),
          );

      if (format === 'json') {
        res.json({ data: report, meta: {} });
        return;
      }
      const pdf = await complianceReportPdf(report);
      const name = `compliance-${frameworkId}-${report.asOf.slice(0, 10)}.pdf`;
      res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
      res.type('application/pdf').send(pdf);
    },
  );
  return router;
}
