import type { ViolationRecordedData } from '../../domain/violations/violation.js';
import {
  VIOLATION_STATUSES,
  VIOLATION_WORKFLOW_EVENT_TYPES,
  type ViolationStatus,
  type ViolationWorkflowEvent,
  type ViolationWorkflowEventType,
} from '../../domain/violations/workflow.js';
import type { RecordedEvent } from '../../infrastructure/event-store/types.js';
import { entitiesOf } from '../read-models/violations.js';

/** The event types the publisher forwards: every violation the ledger records, and each step of its workflow. */
export const VIOLATION_EVENT_TYPES = ['ViolationRecorded', ...VIOLATION_WORKFLOW_EVENT_TYPES] as const;

export const VIOLATION_CLOUD_EVENT_TYPE = 'dev.compliance-ledger.violation.recorded';

/** What happened to a violation after it was raised, as the `change` of a workflow message. */
export const VIOLATION_CHANGES = ['acknowledged', 'assigned', 'resolved', 'reopened', 'commented'] as const;
export type ViolationChange = (typeof VIOLATION_CHANGES)[number];

const CHANGE_OF: Record<ViolationWorkflowEventType, ViolationChange> = {
  ViolationAcknowledged: 'acknowledged',
  ViolationAssigned: 'assigned',
  ViolationResolved: 'resolved',
  ViolationReopened: 'reopened',
  ViolationCommented: 'commented',
};

/** The status a violation is in after each change (a comment or an assignment leaves it as it was: null). */
const STATUS_AFTER: Record<ViolationChange, ViolationStatus | null> = {
  acknowledged: 'acknowledged',
  assigned: null,
  resolved: 'resolved',
  reopened: 'open',
  commented: null,
};

/** The CloudEvents type of each workflow change: dev.compliance-ledger.violation.acknowledged, … */
export const workflowCloudEventType = (change: ViolationChange) => `dev.compliance-ledger.violation.${change}` as const;
export const VIOLATION_WORKFLOW_CLOUD_EVENT_TYPES = VIOLATION_CHANGES.map(workflowCloudEventType);
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
      entities: entitiesOf(recorded.entityCounts),
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

/**
 * Version 1 of a workflow message: what happened to a violation after it was raised, by whom, on the same topic and
 * key as the violation. Notes and comment texts stay in the ledger (people write them, and may write anything):
 * `links.violation` reads them.
 */
export interface ViolationWorkflowV1 {
  schemaVersion: 1;
  violationId: string;
  tenantId: string;
  clientId: string;
  kind: ViolationRecordedData['kind'];
  severity: ViolationRecordedData['severity'];
  change: ViolationChange;
  /** The status after the change; absent when the change leaves it as it was (assigned, commented). */
  status?: ViolationStatus;
  /** Who made the change (a user id of the tenant). */
  actorId: string;
  assigneeId?: string;
  previousAssigneeId?: string | null;
  commentId?: string;
  occurredAt: string;
  position: string;
  links: { violation: string; client: string; history: string };
}

export interface ViolationWorkflowCloudEvent extends Omit<ViolationCloudEvent, 'type' | 'data'> {
  type: ReturnType<typeof workflowCloudEventType>;
  data: ViolationWorkflowV1;
}

/** Any message of the violations topic. */
export type AnyViolationCloudEvent = ViolationCloudEvent | ViolationWorkflowCloudEvent;

export const isWorkflowCloudEvent = (event: AnyViolationCloudEvent): event is ViolationWorkflowCloudEvent =>
  event.type !== VIOLATION_CLOUD_EVENT_TYPE;

/** A recorded violation or a step of its workflow, as the CloudEvent the publisher sends. */
export function violationsTopicEvent(event: RecordedEvent, baseUrl: string): AnyViolationCloudEvent {
  return event.type === 'ViolationRecorded'
    ? violationCloudEvent(event, baseUrl)
    : workflowCloudEvent(event as RecordedEvent & ViolationWorkflowEvent, baseUrl);
}

export function workflowCloudEvent(
  event: RecordedEvent & ViolationWorkflowEvent,
  baseUrl: string,
): ViolationWorkflowCloudEvent {
  const d = event.data;
  const tenantId = event.metadata.tenantId;
  const root = baseUrl.replace(/\/$/, '');
  const api = `${root}/api/v1`;
  const change = CHANGE_OF[event.type];
  const status = STATUS_AFTER[change];
  return {
    specversion: '1.0',
    id: event.id,
    source: `/compliance-ledger/tenants/${tenantId}`,
    type: workflowCloudEventType(change),
    subject: `clients/${d.clientId}`,
    time: event.metadata.recordedAt,
    datacontenttype: 'application/json',
    dataschema: `${root}${VIOLATION_SCHEMA_PATH}`,
    data: {
      schemaVersion: 1,
      violationId: d.violationId,
      tenantId,
      clientId: d.clientId,
      kind: d.kind,
      severity: d.severity,
      change,
      ...(status ? { status } : {}),
      actorId: event.metadata.actorId,
      ...(event.type === 'ViolationAssigned'
        ? { assigneeId: event.data.assigneeId, previousAssigneeId: event.data.previousAssigneeId }
        : {}),
      ...(event.type === 'ViolationCommented' ? { commentId: event.data.commentId } : {}),
      occurredAt: event.metadata.recordedAt,
      position: event.position,
      links: {
        violation: `${api}/violations/${d.violationId}`,
        client: `${api}/clients/${d.clientId}`,
        history: `${api}/history/streams/${encodeURIComponent(event.streamId)}`,
      },
    },
  };
}

const string = { type: 'string', minLength: 1 };
const uuid = { type: 'string', format: 'uuid' };
/** What both kinds of message say first: which violation, whose, of what kind and how severe. */
const identity = {
  schemaVersion: { const: 1 },
  violationId: uuid,
  tenantId: uuid,
  clientId: uuid,
  kind: { enum: ['sensitive-data', 'unapproved-ai-service', 'evidence-expired'] },
  severity: { enum: ['low', 'medium', 'high', 'critical'] },
} as const;

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
    type: { enum: [VIOLATION_CLOUD_EVENT_TYPE, ...VIOLATION_WORKFLOW_CLOUD_EVENT_TYPES] },
    subject: string,
    time: { type: 'string', format: 'date-time' },
    datacontenttype: { const: 'application/json' },
    dataschema: { type: 'string', format: 'uri' },
    data: {
      oneOf: [{ $ref: '#/$defs/violation' }, { $ref: '#/$defs/workflow' }],
    },
  },
  $defs: {
    violation: {
      description: 'A violation, as recorded (type dev.compliance-ledger.violation.recorded)',
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
        ...identity,
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
    workflow: {
      description:
        'What happened to a violation after it was raised (type dev.compliance-ledger.violation.<change>); notes and comment texts are read from links.violation',
      type: 'object',
      required: [
        'schemaVersion',
        'violationId',
        'tenantId',
        'clientId',
        'kind',
        'severity',
        'change',
        'actorId',
        'occurredAt',
        'position',
        'links',
      ],
      properties: {
        ...identity,
        change: { enum: VIOLATION_CHANGES },
        status: { enum: VIOLATION_STATUSES },
        actorId: string,
        assigneeId: string,
        previousAssigneeId: { type: ['string', 'null'] },
        commentId: string,
        occurredAt: { type: 'string', format: 'date-time' },
        position: string,
        links: {
          type: 'object',
          required: ['violation', 'client', 'history'],
          properties: {
            violation: { type: 'string', format: 'uri' },
            client: { type: 'string', format: 'uri' },
            history: { type: 'string', format: 'uri' },
          },
        },
      },
    },
  },
} as const;
