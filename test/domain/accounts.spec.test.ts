import { describe, it } from 'vitest';
import { emailDecider, organizationDecider } from '../../domain/accounts/organization.js';
import { userDecider, type UserEvent } from '../../domain/accounts/user.js';
import { given } from '../support/decider-spec.js';

const user = { userId: 'u-1', tenantId: 't-1', email: 'ada@example.com', name: 'Ada', passwordHash: '$argon2id$…', role: 'msp_admin' as const, clientId: null };
const verification = { tokenHash: 'h-1', expiresAt: '2026-01-02T00:00:00.000Z' };
const registered: UserEvent[] = [
  { type: 'UserRegistered', data: user },
  { type: 'EmailVerificationIssued', data: verification },
];

describe('user', () => {
  it('is registered with a pending email verification', () => {
    given(userDecider).when({ type: 'RegisterUser', ...user, verification }).then(registered);
  });

  it('verifies the email with the issued token before it expires', () => {
    given(userDecider, registered)
      .when({ type: 'VerifyEmail', tokenHash: 'h-1', now: '2026-01-01T12:00:00.000Z' })
      .then([{ type: 'EmailVerified', data: { verifiedAt: '2026-01-01T12:00:00.000Z' } }]);
  });

  it('refuses a wrong or expired token', () => {
    given(userDecider, registered).when({ type: 'VerifyEmail', tokenHash: 'other', now: '2026-01-01T12:00:00.000Z' }).thenFails('invalid', 'token');
    given(userDecider, registered).when({ type: 'VerifyEmail', tokenHash: 'h-1', now: '2026-01-02T00:00:00.000Z' }).thenFails('gone', 'token');
  });

  it('treats a second verification as done', () => {
    given(userDecider, [...registered, { type: 'EmailVerified', data: { verifiedAt: '2026-01-01T12:00:00.000Z' } }])
      .when({ type: 'VerifyEmail', tokenHash: 'h-1', now: '2026-01-01T13:00:00.000Z' })
      .then([]);
  });

  it('is deactivated once', () => {
    given(userDecider, registered).when({ type: 'DeactivateUser', reason: 'left' }).then([{ type: 'UserDeactivated', data: { reason: 'left' } }]);
    given(userDecider, [...registered, { type: 'UserDeactivated', data: { reason: null } }]).when({ type: 'DeactivateUser', reason: null }).then([]);
  });
});

describe('organisation', () => {
  it('is registered with a name', () => {
    given(organizationDecider)
      .when({ type: 'RegisterOrganization', tenantId: 't-1', name: ' Managed IT ', registeredBy: 'u-1' })
      .then([{ type: 'OrganizationRegistered', data: { tenantId: 't-1', name: 'Managed IT', registeredBy: 'u-1' } }]);
    given(organizationDecider).when({ type: 'RegisterOrganization', tenantId: 't-1', name: '', registeredBy: 'u-1' }).thenFails('invalid', 'organizationName');
  });
});

describe('email address', () => {
  it('belongs to one account only', () => {
    given(emailDecider).when({ type: 'ClaimEmail', userId: 'u-1', tenantId: 't-1' }).then([{ type: 'EmailClaimed', data: { userId: 'u-1', tenantId: 't-1' } }]);
    given(emailDecider, [{ type: 'EmailClaimed', data: { userId: 'u-1', tenantId: 't-1' } }])
      .when({ type: 'ClaimEmail', userId: 'u-2', tenantId: 't-2' })
      .thenFails('conflict', 'email');
  });

  it('is released only by its owner', () => {
    const claimed = [{ type: 'EmailClaimed' as const, data: { userId: 'u-1', tenantId: 't-1' } }];
    given(emailDecider, claimed).when({ type: 'ReleaseEmail', userId: 'u-2' }).then([]);
    given(emailDecider, claimed).when({ type: 'ReleaseEmail', userId: 'u-1' }).then([{ type: 'EmailReleased', data: { userId: 'u-1' } }]);
  });
});
