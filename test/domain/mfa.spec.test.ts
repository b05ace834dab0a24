import { describe, it } from 'vitest';
import { organizationDecider } from '../../domain/accounts/organization.js';
import { userDecider, type UserEvent } from '../../domain/accounts/user.js';
import { given } from '../support/decider-spec.js';

const now = '2026-01-01T12:00:00.000Z';
const registered: UserEvent[] = [
  {
    type: 'UserRegistered',
    data: {
      userId: 'u-1',
      tenantId: 't-1',
      email: 'ada@example.com',
      name: 'Ada',
      passwordHash: 'h',
      role: 'msp_admin',
      clientId: null,
    },
  },
];
const started: UserEvent = { type: 'TotpEnrolmentStarted', data: { userId: 'u-1', secret: 'S', startedAt: now } };
const enabled: UserEvent = {
  type: 'TotpEnabled',
  data: { step: 100, recoveryCodeHashes: ['r1', 'r2'], enabledAt: now },
};
const withMfa = [...registered, started, enabled];

describe('multi-factor sign-in', () => {
  it('is on once a code confirms the enrolment started', () => {
    given(userDecider, registered).when({ type: 'StartTotpEnrolment', secret: 'S', now }).then([started]);
    given(userDecider, registered)
      .when({ type: 'ConfirmTotp', step: 100, recoveryCodeHashes: ['r1'], now })
      .thenFails('invalid', 'code');
    given(userDecider, [...registered, started])
      .when({ type: 'ConfirmTotp', step: 100, recoveryCodeHashes: ['r1', 'r2'], now })
      .then([enabled]);
    given(userDecider, withMfa).when({ type: 'StartTotpEnrolment', secret: 'T', now }).thenFails('conflict');
  });

  it('takes each TOTP step once, and no step before the newest', () => {
    given(userDecider, withMfa)
      .when({ type: 'UseSecondFactor', proof: { method: 'totp', step: 101 }, now })
      .then([{ type: 'TotpCodeUsed', data: { step: 101, usedAt: now } }]);
    given(userDecider, withMfa)
      .when({ type: 'UseSecondFactor', proof: { method: 'totp', step: 100 }, now })
      .thenFails('conflict', 'code');
    given(userDecider, [...withMfa, { type: 'TotpCodeUsed', data: { step: 101, usedAt: now } }])
      .when({ type: 'UseSecondFactor', proof: { method: 'totp', step: 101 }, now })
      .thenFails('conflict', 'code');
  });

  it('takes each recovery code once', () => {
    const used: UserEvent = { type: 'RecoveryCodeUsed', data: { codeHash: 'r1', usedAt: now } };
    given(userDecider, withMfa)
      .when({ type: 'UseSecondFactor', proof: { method: 'recovery', codeHash: 'r1' }, now })
      .then([used]);
    given(userDecider, [...withMfa, used])
      .when({ type: 'UseSecondFactor', proof: { method: 'recovery', codeHash: 'r1' }, now })
      .thenFails('invalid', 'recoveryCode');
  });

  it('turns off with a fresh factor, spending it', () => {
    given(userDecider, withMfa)
      .when({ type: 'DisableTotp', proof: { method: 'totp', step: 101 }, now })
      .then([
        { type: 'TotpCodeUsed', data: { step: 101, usedAt: now } },
        { type: 'TotpDisabled', data: { disabledAt: now } },
      ]);
    given(userDecider, registered)
      .when({ type: 'DisableTotp', proof: { method: 'totp', step: 101 }, now })
      .thenFails('invalid');
  });

  it('is forgotten with the user', () => {
    given(userDecider, [...withMfa, { type: 'UserErased', data: { erasedBy: 'u-9' } }])
      .when({ type: 'UseSecondFactor', proof: { method: 'recovery', codeHash: 'r1' }, now })
      .thenFails('gone');
  });
});

describe('organisation security', () => {
  const registeredOrg = [
    { type: 'OrganizationRegistered' as const, data: { tenantId: 't-1', name: 'MSP', registeredBy: 'u-1' } },
  ];
  it('requires MFA for all its users, once', () => {
    given(organizationDecider, registeredOrg)
      .when({ type: 'SetMfaRequirement', requireMfa: true, setBy: 'u-1' })
      .then([{ type: 'MfaRequirementSet', data: { requireMfa: true, setBy: 'u-1' } }]);
    given(organizationDecider, [
      ...registeredOrg,
      { type: 'MfaRequirementSet', data: { requireMfa: true, setBy: 'u-1' } },
    ])
      .when({ type: 'SetMfaRequirement', requireMfa: true, setBy: 'u-1' })
      .then([]);
  });
});
