import { describe, it } from 'vitest';
import { organizationDecider, type OrganizationEvent } from '../../domain/accounts/organization.js';
import { given } from '../support/decider-spec.js';

const registered: OrganizationEvent[] = [
  { type: 'OrganizationRegistered', data: { tenantId: 't-1', name: 'Managed IT', registeredBy: 'system-operator' } },
];
const suspended: OrganizationEvent = {
  type: 'OrganizationSuspended',
  data: { reason: 'unpaid invoices', suspendedBy: 'system-operator' },
};

describe('suspending an organisation (ledger tenants suspend)', () => {
  it('records the suspension once, with its reason; a second one changes nothing', () => {
    given(organizationDecider, registered)
      .when({ type: 'SuspendOrganization', reason: '  unpaid invoices ', suspendedBy: 'system-operator' })
      .then([suspended]);
    given(organizationDecider, [...registered, suspended])
      .when({ type: 'SuspendOrganization', reason: 'again', suspendedBy: 'system-operator' })
      .then([]);
    given(organizationDecider, registered)
      .when({ type: 'SuspendOrganization', reason: ' ', suspendedBy: 'system-operator' })
      .then([{ type: 'OrganizationSuspended', data: { reason: null, suspendedBy: 'system-operator' } }]);
  });

  it('cannot suspend an organisation that does not exist', () => {
    given(organizationDecider, [])
      .when({ type: 'SuspendOrganization', reason: null, suspendedBy: 'system-operator' })
      .thenFails('not_found');
  });
});
