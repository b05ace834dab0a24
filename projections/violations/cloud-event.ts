import type { ViolationRecordedData } from '../../domain/violations/violation.js';
import type { RecordedEvent } from '../../infrastructure/event-store/types.js';

/** The event types the publisher forwards: every kind of violation the ledger records. */
export const VIOLATION_EVENT_TYPES = ['ViolationRecorded'] as const;

export const VIOLATION_CLOUD_EVENT_TYPE = 'dev.compliance-ledger.violation.recorded';
export const VIOLATION_SCHEMA_PATH = '/schemas/violations.v1.json';

/** Version 1 of the payload integrators receive. Fields are only ever added; a breaking change makes a v2 topic. */
export interface ViolationV1 {
  schemaVersion: 1;
  violationId: string;
  tenantId: string;
  clientId: string;
  kind: ViolationRecordedData['kind'];
  severity: ViolationRecordedData['severity'];
  action: ViolationRecordedData['action'];
  /** The AI service and the analysis, for prompt violations; null otherwise. */
  aiServiceId: string | null;
  analysisId: string | null;
  /** The evidence and the submitted assessments citing it, for evidence-expired. */
  evidenceId?: string;
  assessmentIds?: string[];
  /** Entity types the policy acted on, with how many of each: never the values. */
  entities: Array<{ type: string; count: number }>;
  reasons: string[];
  occurredAt: string;
  /** The global log position of the event, for auditors replaying history. */
  position: string;
  links: { client: string; aiService?: string; evidence?: string; history: string };
}

/** A CloudEvents 1.0 envelope (structured JSON mode). */
export interface ViolationCloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: typeof VIOLATION_CLOUD_EVENT_TYPE;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  dataschema: string;
  data: ViolationV1;
}

/** The event id becomes the CloudEvents id: consumers deduplicate on it. */
export function violationCloudEvent(event: RecordedEvent, baseUrl: string): ViolationCloudEvent {
  const recorded = event.data as ViolationRecordedData;
  const tenantId = event.metadata.tenantId;
  const api = `${baseUrl.replace(/\/$/, '')}/api/v1`;
  return {
    specversion: '1.0',
    id: event.id,
    source: `/compliance-ledger/tenants/${tenantId}`,
    type: VIOLATION_CLOUD_EVENT_TYPE,
    subject: `clients/${recorded.clientId}`,
    time: event.metadata.recordedAt,
    datacontenttype: 'application/json',
    dataschema: `${baseUrl.replace(/\/$/, '')}${VIOLATION_SCHEMA_PATH}`,
    data: {
      schemaVersion: 1,
      violationId: event.id,
      tenantId,
      clientId: recorded.clientId,
      kind: recorded.kind,
      severity: recorded.severity,
      action: recorded.action,
      aiServiceId: recorded.aiServiceId,
      analysisId: recorded.analysisId,
      ...(recorded.evidenceId ? { evidenceId: recorded.evidenceId, assessmentIds: recorded.assessmentIds ?? [] } : {}),
      entities: Object.entries(recorded.entityCounts).map(([type, count]) => ({ type, count })),
      reasons: recorded.reasons,
      occurredAt: event.metadata.recordedAt,
      position: event.position,
      links: {
        client: `${api}/clients/${recorded.clientId}`,
        ...(recorded.aiServiceId ? { aiService: `${api}/ai-services/${recorded.aiServiceId}` } : {}),
        ...(recorded.evidenceId ? { evidence: `${api}/evidence/${recorded.evidenceId}` } : {}),
        history: `${api}/history/streams/${encodeURIComponent(event.streamId)}`,
      },
    },
  };
}

const string = { type: 'string', minLength: 1 };
const uuid = { type: 'string', format: 'uuid' };

/** JSON Schema (2020-12) of the whole message on compliance.violations.v1, published at GET /schemas/violations.v1.json. */
export const violationsV1Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://compliance-ledger.dev/schemas/violations.v1.json',
  title: 'Compliance Ledger violation (CloudEvents 1.0, payload v1)',
  type: 'object',
  required: ['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema', 'data'],
  properties: {
    specversion: { const: '1.0' },
    id: { ...uuid, description: 'The event id in the ledger: deduplicate on it' },
    source: string,
    type: { const: VIOLATION_CLOUD_EVENT_TYPE },
    subject: string,
    time: { type: 'string', format: 'date-time' },
    datacontenttype: { const: 'application/json' },
    dataschema: { type: 'string', format: 'uri' },
    data: {
      type: 'object',
      required: [
        'schemaVersion',
        'violationId',
        'tenantId',
        'clientId',
        'kind',
        'severity',
        'action',
        'aiServiceId',
        'analysisId',
        'entities',
        'reasons',
        'occurredAt',
        'position',
        'links',
      ],
      properties: {
        schemaVersion: { const: 1 },
        violationId: uuid,
        tenantId: uuid,
        clientId: uuid,
        kind: { enum: ['sensitive-data', 'unapproved-ai-service', 'evidence-expired'] },
        severity: { enum: ['low', 'medium', 'high', 'critical'] },
        action: { enum: ['warn', 'redact', 'block'] },
        aiServiceId: { type: ['string', 'null'] },
        analysisId: { type: ['string', 'null'] },
        evidenceId: { type: 'string' },
        assessmentIds: { type: 'array', items: { type: 'string' } },
        entities: {
          type: 'array',
          items: {
            type: 'object',
            required: ['type', 'count'],
            properties: { type: string, count: { type: 'integer', minimum: 1 } },
          },
        },
        reasons: { type: 'array', items: { type: 'string' } },
        occurredAt: { type: 'string', format: 'date-time' },
        position: string,
        links: {
          type: 'object',
          required: ['client', 'history'],
          properties: {
            client: { type: 'string', format: 'uri' },
            aiService: { type: 'string', format: 'uri' },
            evidence: { type: 'string', format: 'uri' },
            history: { type: 'string', format: 'uri' },
          },
        },
      },
    },
  },
} as const;
