import { describe, it } from 'vitest';
import {
  violationDecider,
  type Assignee,
  type RaisedViolation,
  type ViolationWorkflowEvent,
} from '../../domain/violations/workflow.js';
import { given } from '../support/decider-spec.js';

const raised: RaisedViolation = { violationId: 'v-1', clientId: 'c-1', kind: 'sensitive-data', severity: 'high' };
const officer: Assignee = { userId: 'u-1', exists: true, active: true, role: 'compliance_officer', clientId: 'c-1' };

const acknowledged: ViolationWorkflowEvent = { type: 'ViolationAcknowledged', data: { ...raised, note: null } };
const resolved: ViolationWorkflowEvent = { type: 'ViolationResolved', data: { ...raised, note: 'Retrained the user' } };
const assigned: ViolationWorkflowEvent = {
  type: 'ViolationAssigned',
  data: { ...raised, assigneeId: 'u-1', previousAssigneeId: null, note: null },
};

describe('violation workflow', () => {
  it('is acknowledged once, when open', () => {
    given(violationDecider).when({ type: 'AcknowledgeViolation', raised }).then([acknowledged]);
    given(violationDecider, [acknowledged]).when({ type: 'AcknowledgeViolation', raised }).thenFails('conflict');
    given(violationDecider, [resolved]).when({ type: 'AcknowledgeViolation', raised }).thenFails('conflict');
  });

  it('is resolved with a note, from open or acknowledged, and not twice', () => {
    given(violationDecider).when({ type: 'ResolveViolation', raised, note: '  Retrained the user ' }).then([resolved]);
    given(violationDecider, [acknowledged])
      .when({ type: 'ResolveViolation', raised, note: 'Retrained the user' })
      .then([resolved]);
    given(violationDecider).when({ type: 'ResolveViolation', raised, note: '   ' }).thenFails('invalid', 'note');
    given(violationDecider, [resolved]).when({ type: 'ResolveViolation', raised, note: 'again' }).thenFails('conflict');
  });

  it('is reopened only when resolved, and is open again', () => {
    const reopened: ViolationWorkflowEvent = {
      type: 'ViolationReopened',
      data: { ...raised, note: 'It happened again' },
    };
    given(violationDecider, [resolved])
      .when({ type: 'ReopenViolation', raised, note: 'It happened again' })
      .then([reopened]);
    given(violationDecider).when({ type: 'ReopenViolation', raised }).thenFails('conflict');
    given(violationDecider, [acknowledged]).when({ type: 'ReopenViolation', raised }).thenFails('conflict');
    given(violationDecider, [resolved, reopened]).when({ type: 'AcknowledgeViolation', raised }).then([acknowledged]);
  });

  it('is assigned to an active user who may see its client, not when resolved', () => {
    given(violationDecider).when({ type: 'AssignViolation', raised, assignee: officer }).then([assigned]);
    // The same person again changes nothing; someone else records who had it before.
    given(violationDecider, [assigned]).when({ type: 'AssignViolation', raised, assignee: officer }).then([]);
    given(violationDecider, [assigned])
      .when({
        type: 'AssignViolation',
        raised,
        assignee: { ...officer, userId: 'u-2', role: 'msp_admin', clientId: null },
      })
      .then([
        {
          type: 'ViolationAssigned',
          data: { ...raised, assigneeId: 'u-2', previousAssigneeId: 'u-1', note: null },
        },
      ]);
    const refused = (assignee: Assignee) =>
      given(violationDecider).when({ type: 'AssignViolation', raised, assignee }).thenFails('invalid', 'assigneeId');
    refused({ ...officer, clientId: 'c-2' });
    refused({ ...officer, active: false });
    refused({ ...officer, exists: false, role: null });
    refused({ ...officer, role: 'member' });
    given(violationDecider, [resolved])
      .when({ type: 'AssignViolation', raised, assignee: officer })
      .thenFails('conflict');
  });

  it('takes comments in any state, never empty', () => {
    const comment = (commentId: string) => ({
      type: 'CommentOnViolation' as const,
      raised,
      commentId,
      text: 'Called the clinic',
    });
    for (const history of [[], [acknowledged], [resolved]])
      given(violationDecider, history)
        .when(comment('k-1'))
        .then([{ type: 'ViolationCommented', data: { ...raised, commentId: 'k-1', text: 'Called the clinic' } }]);
    given(violationDecider)
      .when({ ...comment('k-2'), text: ' ' })
      .thenFails('invalid', 'text');
  });
});
