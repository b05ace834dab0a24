import { afterAll, beforeAll, describe, it } from 'vitest';
import { auditLogProjection } from '../../projections/read-models/audit-log.js';
import { violationsProjection } from '../../projections/read-models/violations.js';
import { projectionSpecification } from '../support/projection-spec.js';
import { needs, openTestDatabase } from '../support/services.js';

const skip = needs('postgres').skip;

/** The violations and audit-log read models as projection specs: given these events, then these rows. */
describe.skipIf(skip)(
  `the violations and audit-log projections, given events${skip ? ' (skipped: no postgres)' : ''}`,
  () => {
    let database: Awaited<ReturnType<typeof openTestDatabase>>;
    beforeAll(async () => {
      database = await openTestDatabase('spec');
    });
    afterAll(() => database?.drop());
    const violation = {
      kind: 'sensitive-data',
      action: 'redact',
      severity: 'high',
      clientId: 'c-1',
      aiServiceId: 's-1',
      analysisId: 'a-1',
      entityCounts: { EMAIL: 2 },
      reasons: ['GDPR redacts personal data'],
    };

    it('records a violation once, with its counts and reasons, however often it is applied', async () => {
      const spec = projectionSpecification(database, violationsProjection).given([
        { stream: 'prompt-analysis/a-1', type: 'ViolationRecorded', data: violation },
      ]);
      await spec.then('violations', [
        {
          client_id: 'c-1',
          kind: 'sensitive-data',
          severity: 'high',
          action: 'redact',
          ai_service_id: 's-1',
          evidence_id: null,
          entity_counts: { EMAIL: 2 },
          reasons: ['GDPR redacts personal data'],
          occurred_at: new Date('2026-03-01T09:00:00.000Z'),
        },
      ]);
      await spec.then('violations', [{ client_id: 'c-1' }]);
    });

    it('keeps a recorded event and a refused command apart in the audit log', async () => {
      const refusal = {
        method: 'POST',
        path: '/api/v1/clients',
        status: 403,
        problem: 'https://ledger.example/problems/forbidden',
        title: 'Forbidden',
        detail: null,
        fields: [],
      };
      await projectionSpecification(database, auditLogProjection)
        .given([
          { stream: 'prompt-analysis/a-1', type: 'ViolationRecorded', data: violation },
          { stream: 'command-log/2026-03-01', type: 'CommandRefused', data: refusal },
        ])
        .then(
          'audit_log',
          [
            { event_type: 'ViolationRecorded', actor_id: 'user-1', outcome: 'recorded', refusal: null },
            { event_type: 'CommandRefused', outcome: 'refused', refusal },
          ],
          'position',
        );
    });

    it("gives a workflow step's note and a comment's text as the reason, and a refusal the client its path names", async () => {
      const about = { violationId: 'v-1', clientId: 'c-1', kind: 'sensitive-data', severity: 'high' };
      const clientId = '0b6f3c1e-8a2d-4f5b-9c7e-1d2a3b4c5d6e';
      const refusal = {
        method: 'PUT',
        path: `/api/v1/clients/${clientId}/ai-policy`,
        status: 422,
        problem: 'https://ledger.example/problems/invalid',
        title: 'Invalid',
        detail: null,
        fields: ['customPatterns.0.pattern'],
      };
      await projectionSpecification(database, auditLogProjection)
        .given([
          { stream: 'violation/v-1', type: 'ViolationResolved', data: { ...about, note: 'Rotated the export' } },
          {
            stream: 'violation/v-1',
            type: 'ViolationCommented',
            data: { ...about, commentId: 'k-1', text: 'Trained the desk' },
          },
          { stream: 'command-log/2026-03-01', type: 'CommandRefused', data: refusal },
        ])
        .then(
          'audit_log',
          [
            { event_type: 'ViolationResolved', reason: 'Rotated the export', client_id: 'c-1' },
            { event_type: 'ViolationCommented', reason: 'Trained the desk', client_id: 'c-1' },
            { event_type: 'CommandRefused', client_id: clientId },
          ],
          'position',
        );
    });
  },
);
