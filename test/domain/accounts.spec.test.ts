import { describe, it } from 'vitest';
import { emailDecider, organizationDecider } from '../../domain/accounts/organization.js';
import { userDecider, type UserEvent } from '../../domain/accounts/user.js';
import { given } from '../support/decider-spec.js';

const user = {
  userId: 'u-1',
  tenantId: 't-1',
  email: 'ada@example.com',
  name: 'Ada',
  passwordHash: '$argon2id$…',
  role: 'msp_admin' as const,
  clientId: null,
};
const verification = { tokenHash: 'h-1', expiresAt: '2026-01-02T00:00:00.000Z' };
const registered: UserEvent[] = [
  { type: 'UserRegistered', data: user },
  { type: 'EmailVerificationIssued', data: verification },
];

describe('user', () => {
  it('is registered with a pending email verification', () => {
    given(userDecider)
      .when({ type: 'RegisterUser', ...user, verification })
      .then(registered);
  });

  it('verifies the email with the issued token before it expires', () => {
    given(userDecider, registered)
      .when({ type: 'VerifyEmail', tokenHash: 'h-1', now: '2026-01-01T12:00:00.000Z' })
      .then([{ type: 'EmailVerified', data: { verifiedAt: '2026-01-01T12:00:00.000Z' } }]);
  });

  it('refuses a wrong or expired token', () => {
    given(userDecider, registered)
      .when({ type: 'VerifyEmail', tokenHash: 'other', now: '2026-01-01T12:00:00.000Z' })
      .thenFails('invalid', 'token');
    given(userDecider, registered)
      .when({ type: 'VerifyEmail', tokenHash: 'h-1', now: '2026-01-02T00:00:00.000Z' })
      .thenFails('gone', 'token');
  });

  it('treats a second verification as done', () => {
    given(userDecider, [...registered, { type: 'EmailVerified', data: { verifiedAt: '2026-01-01T12:00:00.000Z' } }])
      .when({ type: 'VerifyEmail', tokenHash: 'h-1', now: '2026-01-01T13:00:00.000Z' })
      .then([]);
  });

  it('is deactivated once', () => {
    given(userDecider, registered)
      .when({ type: 'DeactivateUser', reason: 'left' })
      .then([{ type: 'UserDeactivated', data: { reason: 'left' } }]);
    given(userDecider, [...registered, { type: 'UserDeactivated', data: { reason: null } }])
      .when({ type: 'DeactivateUser', reason: null })
      .then([]);
  });
});

describe('organisation', () => {
  it('is registered with a name', () => {
    given(organizationDecider)
      .when({ type: 'RegisterOrganization', tenantId: 't-1', name: ' Managed IT ', registeredBy: 'u-1' })
      .then([{ type: 'OrganizationRegistered', data: { tenantId: 't-1', name: 'Managed IT', registeredBy: 'u-1' } }]);
    given(organizationDecider)
      .when({ type: 'RegisterOrganization', tenantId: 't-1', name: '', registeredBy: 'u-1' })
      .thenFails('invalid', 'organizationName');
  });
});

describe('email address', () => {
  it('belongs to one account only', () => {
    given(emailDecider)
      .when({ type: 'ClaimEmail', userId: 'u-1', tenantId: 't-1' })
      .then([{ type: 'EmailClaimed', data: { userId: 'u-1', tenantId: 't-1' } }]);
    given(emailDecider, [{ type: 'EmailClaimed', data: { userId: 'u-1', tenantId: 't-1' } }])
      .when({ type: 'ClaimEmail', userId: 'u-2', tenantId: 't-2' })
      .thenFails('conflict', 'email');
  });

  it('is released only by its owner', () => {
    const claimed = [{ type: 'EmailClaimed' as const, data: { userId: 'u-1', tenantId: 't-1' } }];
    given(emailDecider, claimed).when({ type: 'ReleaseEmail', userId: 'u-2' }).then([]);
    given(emailDecider, claimed)
      .when({ type: 'ReleaseEmail', userId: 'u-1' })
      .then([{ type: 'EmailReleased', data: { userId: 'u-1' } }]);
  });
});

describe('invited user', () => {
  const invitation = { tokenHash: 'inv-1', expiresAt: '2026-01-08T00:00:00.000Z' };
  const invite = {
    userId: 'u-2',
    tenantId: 't-1',
    email: 'bob@client.example',
    role: 'compliance_officer' as const,
    clientId: 'c-1',
    invitedBy: 'u-1',
  };
  const invited: UserEvent[] = [
    { type: 'UserInvited', data: invite },
    { type: 'InvitationIssued', data: invitation },
  ];

  it('is invited with a role scoped to a client', () => {
    given(userDecider)
      .when({ type: 'InviteUser', ...invite, invitation })
      .then(invited);
  });

  it('cannot hold a client role without a client, nor an MSP role with one', () => {
    given(userDecider)
      .when({ type: 'InviteUser', ...invite, clientId: null, invitation })
      .thenFails('invalid', 'clientId');
    given(userDecider)
      .when({ type: 'InviteUser', ...invite, role: 'msp_analyst', invitation })
      .thenFails('invalid', 'clientId');
  });

  it('accepts the invitation once, with a name and a password', () => {
    const accept = {
      type: 'AcceptInvitation' as const,
      tokenHash: 'inv-1',
      name: ' Bob ',
      passwordHash: 'h',
      now: '2026-01-02T00:00:00.000Z',
    };
    const accepted: UserEvent = {
      type: 'InvitationAccepted',
      data: { userId: 'u-2', name: 'Bob', passwordHash: 'h', acceptedAt: '2026-01-02T00:00:00.000Z' },
    };
    given(userDecider, invited).when(accept).then([accepted]);
    given(userDecider, [...invited, accepted])
      .when(accept)
      .thenFails('invalid', 'token');
    given(userDecider, invited)
      .when({ ...accept, now: '2026-01-09T00:00:00.000Z' })
      .thenFails('gone', 'token');
  });
});

describe('password reset', () => {
  const reset = { tokenHash: 'r-1', expiresAt: '2026-01-01T13:00:00.000Z' };
  it('is issued only for an active account', () => {
    given(userDecider, registered)
      .when({ type: 'IssuePasswordReset', reset })
      .then([{ type: 'PasswordResetIssued', data: reset }]);
    given(userDecider).when({ type: 'IssuePasswordReset', reset }).then([]);
    given(userDecider, [...registered, { type: 'UserDeactivated', data: { reason: null } }])
      .when({ type: 'IssuePasswordReset', reset })
      .then([]);
  });

  const verified: UserEvent[] = [
    ...registered,
    { type: 'EmailVerified', data: { verifiedAt: '2026-01-01T00:10:00.000Z' } },
  ];

  it('sets the new password with the token, once, within the hour', () => {
    const history: UserEvent[] = [...verified, { type: 'PasswordResetIssued', data: reset }];
    const command = {
      type: 'ResetPassword' as const,
      tokenHash: 'r-1',
      passwordHash: 'new',
      now: '2026-01-01T12:30:00.000Z',
    };
    const done: UserEvent = {
      type: 'PasswordReset',
      data: { userId: 'u-1', passwordHash: 'new', resetAt: '2026-01-01T12:30:00.000Z' },
    };
    given(userDecider, history).when(command).then([done]);
    given(userDecider, [...history, done])
      .when(command)
      .thenFails('invalid', 'token');
    given(userDecider, history)
      .when({ ...command, now: '2026-01-01T13:00:00.000Z' })
      .thenFails('gone', 'token');
  });

  it('verifies an address not verified yet: the reset link reached it (a lost verification link is no dead end)', () => {
    given(userDecider, [...registered, { type: 'PasswordResetIssued', data: reset }])
      .when({ type: 'ResetPassword', tokenHash: 'r-1', passwordHash: 'new', now: '2026-01-01T12:30:00.000Z' })
      .then([
        { type: 'PasswordReset', data: { userId: 'u-1', passwordHash: 'new', resetAt: '2026-01-01T12:30:00.000Z' } },
        { type: 'EmailVerified', data: { verifiedAt: '2026-01-01T12:30:00.000Z' } },
      ]);
  });
});

describe('role, deactivation and erasure', () => {
  it('changes a role only to a valid scope, and only when it changes', () => {
    given(userDecider, registered)
      .when({ type: 'ChangeRole', role: 'auditor', clientId: null, changedBy: 'u-9' })
      .then([{ type: 'UserRoleChanged', data: { role: 'auditor', clientId: null, changedBy: 'u-9' } }]);
    given(userDecider, registered)
      .when({ type: 'ChangeRole', role: 'msp_admin', clientId: null, changedBy: 'u-9' })
      .then([]);
    given(userDecider, registered)
      .when({ type: 'ChangeRole', role: 'member', clientId: null, changedBy: 'u-9' })
      .thenFails('invalid', 'clientId');
  });

  it('erases once, after which nothing else changes the user', () => {
    const erased: UserEvent = { type: 'UserErased', data: { erasedBy: 'u-9' } };
    given(userDecider, registered).when({ type: 'EraseUser', erasedBy: 'u-9' }).then([erased]);
    given(userDecider, [...registered, erased])
      .when({ type: 'EraseUser', erasedBy: 'u-9' })
      .then([]);
    given(userDecider, [...registered, erased])
      .when({ type: 'ChangeRole', role: 'auditor', clientId: null, changedBy: 'u-9' })
      .thenFails('gone');
  });
});
