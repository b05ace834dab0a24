import { DomainError, type Decider, type DomainEvent } from '../decider.js';

/** An MSP organisation: the tenant. Everything it owns lives in streams that begin with its id. */
export type OrganizationEvent =
  | DomainEvent<'OrganizationRegistered', { tenantId: string; name: string; registeredBy: string }>
  /** The MSP's security setting: whether every one of its users must sign in with a second factor. */
  | DomainEvent<'MfaRequirementSet', { requireMfa: boolean; setBy: string }>
  /** An operator stopped the tenant: its logins, access tokens and gateway keys are refused from then on. */
  | DomainEvent<'OrganizationSuspended', { reason: string | null; suspendedBy: string }>;
export type OrganizationCommand =
  | { type: 'RegisterOrganization'; tenantId: string; name: string; registeredBy: string }
  | { type: 'SetMfaRequirement'; requireMfa: boolean; setBy: string }
  | { type: 'SuspendOrganization'; reason: string | null; suspendedBy: string };
export interface OrganizationState {
  exists: boolean;
  name?: string;
  requireMfa: boolean;
  suspended: boolean;
}

/** The organisation's own stream, in its tenant. */
export const organizationStream = (tenantId: string): string => `${tenantId}/organization/${tenantId}`;

export const organizationDecider: Decider<OrganizationCommand, OrganizationEvent, OrganizationState> = {
  initialState: () => ({ exists: false, requireMfa: false, suspended: false }),
  decide(command, state) {
    if (command.type === 'SuspendOrganization') {
      if (!state.exists) throw new DomainError('not_found', 'No such organisation');
      if (state.suspended) return [];
      const reason = command.reason?.trim() || null;
      return [{ type: 'OrganizationSuspended', data: { reason, suspendedBy: command.suspendedBy } }];
    }
    if (command.type === 'SetMfaRequirement') {
      if (!state.exists) throw new DomainError('not_found', 'No such organisation');
      if (state.requireMfa === command.requireMfa) return [];
      return [{ type: 'MfaRequirementSet', data: { requireMfa: command.requireMfa, setBy: command.setBy } }];
    }
    if (state.exists) throw new DomainError('conflict', 'The organisation already exists');
    const name = command.name.trim();
    if (!name) throw new DomainError('invalid', 'The organisation needs a name', 'organizationName');
    return [
      {
        type: 'OrganizationRegistered',
        data: { tenantId: command.tenantId, name, registeredBy: command.registeredBy },
      },
    ];
  },
  evolve(state, event) {
    switch (event.type) {
      case 'MfaRequirementSet':
        return { ...state, requireMfa: event.data.requireMfa };
      case 'OrganizationSuspended':
        return { ...state, suspended: true };
      default:
        return { ...state, exists: true, name: event.data.name };
    }
  },
};

/**
 * An email address belongs to one account across all tenants. Its stream is named by a keyed hash of the address,
 * so finding an account by email needs no read model and no plaintext address in a stream name.
 */
/** Streams that belong to no tenant: addresses are unique across all of them. */
export const SYSTEM_TENANT = 'system';

/** An address's stream, named by its keyed hash (the caller computes it: the key is not the domain's). */
export const emailStream = (emailKey: string): string => `${SYSTEM_TENANT}/email/${emailKey}`;

export type EmailEvent =
  DomainEvent<'EmailClaimed', { userId: string; tenantId: string }> | DomainEvent<'EmailReleased', { userId: string }>;
export type EmailCommand =
  { type: 'ClaimEmail'; userId: string; tenantId: string } | { type: 'ReleaseEmail'; userId: string };
export interface EmailState {
  owner?: { userId: string; tenantId: string };
}

export const emailDecider: Decider<EmailCommand, EmailEvent, EmailState> = {
  initialState: () => ({}),
  decide(command, state) {
    if (command.type === 'ClaimEmail') {
      if (state.owner) throw new DomainError('conflict', 'An account with this email already exists', 'email');
      return [{ type: 'EmailClaimed', data: { userId: command.userId, tenantId: command.tenantId } }];
    }
    if (state.owner?.userId !== command.userId) return [];
    return [{ type: 'EmailReleased', data: { userId: command.userId } }];
  },
  evolve: (state, event) => (event.type === 'EmailClaimed' ? { owner: event.data } : {}),
};
