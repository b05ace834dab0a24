import { isClientScoped, permissionsOf, type Role } from '../accounts/roles.js';
import { DomainError, type Decider, type DomainEvent } from '../decider.js';
import type { Severity, ViolationKind } from '../prompt-analysis/usage-policy.js';

/**
 * What happens to a violation once it is raised. A violation is raised by a ViolationRecorded event in the stream it
 * arose in (a prompt analysis, an evidence-expiry watch); the event's id is the violation's id. Its life after that
 * (acknowledged, assigned, resolved with a note, reopened, commented) is a stream of its own, `violationStream`.
 *
 *   open ──acknowledge──▶ acknowledged ──resolve──▶ resolved ──reopen──▶ open
 *     └──────────────────────resolve──────────────────▲
 *
 * Assigning and commenting change no status; assigning a resolved violation is refused (reopen it first).
 */
export const VIOLATION_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type ViolationStatus = (typeof VIOLATION_STATUSES)[number];

/** The violation as it was raised: what each command is told by whoever found it (the read model). */
export interface RaisedViolation {
  violationId: string;
  clientId: string;
  kind: ViolationKind;
  severity: Severity;
}

/** Every workflow event repeats what it is about, so that a consumer (Kafka, webhooks, history) needs no lookup. */
type About = RaisedViolation;

export type ViolationWorkflowEvent =
  | DomainEvent<'ViolationAcknowledged', About & { note: string | null }>
  | DomainEvent<
      'ViolationAssigned',
      About & { assigneeId: string; previousAssigneeId: string | null; note: string | null }
    >
  | DomainEvent<'ViolationResolved', About & { note: string }>
  | DomainEvent<'ViolationReopened', About & { note: string | null }>
  | DomainEvent<'ViolationCommented', About & { commentId: string; text: string }>;

export type ViolationWorkflowEventType = ViolationWorkflowEvent['type'];

/** The workflow's event types, for projections and the fan-out. */
export const VIOLATION_WORKFLOW_EVENT_TYPES = [
  'ViolationAcknowledged',
  'ViolationAssigned',
  'ViolationResolved',
  'ViolationReopened',
  'ViolationCommented',
] as const satisfies readonly ViolationWorkflowEventType[];

/** A user as assigning needs to know them: of this tenant, active, and allowed to see the violation's client. */
export interface Assignee {
  userId: string;
  /** False when no such user exists in the tenant. */
  exists: boolean;
  active: boolean;
  role: Role | null;
  clientId: string | null;
}

export type ViolationCommand =
  | { type: 'AcknowledgeViolation'; raised: RaisedViolation; note?: string }
  | { type: 'AssignViolation'; raised: RaisedViolation; assignee: Assignee; note?: string }
  | { type: 'ResolveViolation'; raised: RaisedViolation; note: string }
  | { type: 'ReopenViolation'; raised: RaisedViolation; note?: string }
  | { type: 'CommentOnViolation'; raised: RaisedViolation; commentId: string; text: string };

export interface ViolationState {
  /** 'none' until the workflow stream has an event: the violation is then as raised, open and unassigned. */
  status: 'none' | ViolationStatus;
  clientId?: string;
  assigneeId: string | null;
}

/** A violation's workflow stream, under its tenant. */
export const violationStream = (tenantId: string, violationId: string): string =>
  `${tenantId}/violation/${violationId}`;

const conflict = (status: ViolationStatus, attempted: string) =>
  new DomainError('conflict', `The violation is ${status}; it cannot be ${attempted}`);

const noteOf = (note: string | undefined): string | null => (note?.trim() ? note.trim() : null);

export const violationDecider: Decider<ViolationCommand, ViolationWorkflowEvent, ViolationState> = {
  initialState: () => ({ status: 'none', assigneeId: null }),

  decide(command, state) {
    const status: ViolationStatus = state.status === 'none' ? 'open' : state.status;
    const { violationId, clientId, kind, severity } = command.raised;
    const about: About = { violationId, clientId, kind, severity };
    switch (command.type) {
      case 'AcknowledgeViolation':
        if (status !== 'open') throw conflict(status, 'acknowledged');
        return [{ type: 'ViolationAcknowledged', data: { ...about, note: noteOf(command.note) } }];
      case 'AssignViolation': {
        if (status === 'resolved') throw conflict(status, 'assigned; reopen it first');
        const { assignee } = command;
        if (!assignee.exists || !assignee.active || assignee.role === null)
          throw new DomainError('invalid', 'No active user of this tenant has that id', 'assigneeId');
        if (isClientScoped(assignee.role) && assignee.clientId !== clientId)
          throw new DomainError('invalid', "That user may not see this violation's client", 'assigneeId');
        if (!permissionsOf(assignee.role).includes('violation:read'))
          throw new DomainError('invalid', `A ${assignee.role} may not read violations`, 'assigneeId');
        if (assignee.userId === state.assigneeId) return [];
        return [
          {
            type: 'ViolationAssigned',
            data: {
              ...about,
              assigneeId: assignee.userId,
              previousAssigneeId: state.assigneeId,
              note: noteOf(command.note),
            },
          },
        ];
      }
      case 'ResolveViolation': {
        if (status === 'resolved') throw conflict(status, 'resolved again');
        const note = noteOf(command.note);
        if (!note) throw new DomainError('invalid', 'Say how the violation was resolved', 'note');
        return [{ type: 'ViolationResolved', data: { ...about, note } }];
      }
      case 'ReopenViolation':
        if (status !== 'resolved') throw conflict(status, 'reopened: only a resolved violation can');
        return [{ type: 'ViolationReopened', data: { ...about, note: noteOf(command.note) } }];
      case 'CommentOnViolation': {
        const text = command.text.trim();
        if (!text) throw new DomainError('invalid', 'A comment needs some text', 'text');
        return [{ type: 'ViolationCommented', data: { ...about, commentId: command.commentId, text } }];
      }
    }
  },

  evolve(state, event) {
    const base = { ...state, clientId: event.data.clientId };
    switch (event.type) {
      case 'ViolationAcknowledged':
        return { ...base, status: 'acknowledged' };
      case 'ViolationAssigned':
        return { ...base, status: state.status === 'none' ? 'open' : state.status, assigneeId: event.data.assigneeId };
      case 'ViolationResolved':
        return { ...base, status: 'resolved' };
      case 'ViolationReopened':
        return { ...base, status: 'open' };
      case 'ViolationCommented':
        return { ...base, status: state.status === 'none' ? 'open' : state.status };
    }
  },
};
