import { DomainError, type Decider, type DomainEvent, type PersonalDataFields } from '../decider.js';
import {
  decideProfile,
  emptyProfileState,
  evolveProfile,
  PROFILE_COMMANDS,
  profilePersonalData,
  type ProfileCommand,
  type ProfileEvent,
  type ProfileState,
} from './profile.js';
import { isClientScoped, type Role } from './roles.js';

/**
 * A user account. Personal data (email, name) and the password hash are sealed under the user's own key when stored,
 * so erasing the user erases them everywhere. One-time tokens (email verification, invitation, password reset) are
 * kept as SHA-256 hashes with their expiry; the token itself only ever travels in the email.
 */
export interface OneTimeToken {
  tokenHash: string;
  expiresAt: string;
}

export type UserEvent =
  | DomainEvent<
      'UserRegistered',
      {
        userId: string;
        tenantId: string;
        email: string;
        name: string;
        passwordHash: string;
        role: Role;
        clientId: string | null;
      }
    >
  | DomainEvent<'EmailVerificationIssued', OneTimeToken>
  | DomainEvent<'EmailVerified', { verifiedAt: string }>
  | DomainEvent<
      'UserInvited',
      { userId: string; tenantId: string; email: string; role: Role; clientId: string | null; invitedBy: string }
    >
  | DomainEvent<'InvitationIssued', OneTimeToken>
  | DomainEvent<'InvitationAccepted', { userId: string; name: string; passwordHash: string; acceptedAt: string }>
  | DomainEvent<'PasswordResetIssued', OneTimeToken>
  | DomainEvent<'PasswordReset', { userId: string; passwordHash: string; resetAt: string }>
  | DomainEvent<'UserRoleChanged', { role: Role; clientId: string | null; changedBy: string }>
  | DomainEvent<'UserDeactivated', { reason: string | null }>
  | DomainEvent<'UserErased', { erasedBy: string }>
  | DomainEvent<'PasswordChanged', { userId: string; passwordHash: string; changedAt: string }>
  | DomainEvent<'TotpEnrolmentStarted', { userId: string; secret: string; startedAt: string }>
  | DomainEvent<'TotpEnabled', { step: number; recoveryCodeHashes: string[]; enabledAt: string }>
  | DomainEvent<'TotpCodeUsed', { step: number; usedAt: string }>
  | DomainEvent<'RecoveryCodeUsed', { codeHash: string; usedAt: string }>
  | DomainEvent<'TotpDisabled', { disabledAt: string }>
  | ProfileEvent;

/**
 * A second factor as the API checked it: the TOTP time step a code matched (the domain keeps no clock and no
 * secret arithmetic), or the keyed hash of a recovery code.
 */
export type SecondFactorProof = { method: 'totp'; step: number } | { method: 'recovery'; codeHash: string };

export type UserCommand =
  | {
      type: 'RegisterUser';
      userId: string;
      tenantId: string;
      email: string;
      name: string;
      passwordHash: string;
      role: Role;
      clientId: string | null;
      verification: OneTimeToken;
    }
  | { type: 'VerifyEmail'; tokenHash: string; now: string }
  | {
      type: 'InviteUser';
      userId: string;
      tenantId: string;
      email: string;
      role: Role;
      clientId: string | null;
      invitedBy: string;
      invitation: OneTimeToken;
    }
  | { type: 'AcceptInvitation'; tokenHash: string; name: string; passwordHash: string; now: string }
  | { type: 'IssuePasswordReset'; reset: OneTimeToken }
  | { type: 'ResetPassword'; tokenHash: string; passwordHash: string; now: string }
  | { type: 'ChangeRole'; role: Role; clientId: string | null; changedBy: string }
  | { type: 'DeactivateUser'; reason: string | null }
  | { type: 'EraseUser'; erasedBy: string }
  | { type: 'ChangePassword'; passwordHash: string; now: string }
  | { type: 'StartTotpEnrolment'; secret: string; now: string }
  | { type: 'ConfirmTotp'; step: number; recoveryCodeHashes: string[]; now: string }
  | { type: 'UseSecondFactor'; proof: SecondFactorProof; now: string }
  | { type: 'DisableTotp'; proof: SecondFactorProof; now: string }
  | ProfileCommand;

/** Multi-factor sign-in: the TOTP secret (sealed when stored), the last time step used, unused recovery codes. */
export interface MfaState {
  secret: string;
  /** The newest TOTP step accepted: a code of this step or an earlier one is a replay. */
  lastStep: number;
  /** Keyed hashes of the recovery codes not used yet. */
  recoveryCodeHashes: string[];
}

/** Where an account stands: invited, active (may log in), deactivated, or erased (its personal data unreadable). */
export const USER_STATUSES = ['invited', 'active', 'deactivated', 'erased'] as const;

export interface UserState extends ProfileState {
  exists: boolean;
  status: 'none' | (typeof USER_STATUSES)[number];
  userId?: string;
  tenantId?: string;
  email?: string;
  name?: string;
  passwordHash?: string;
  role?: Role;
  clientId?: string | null;
  emailVerified: boolean;
  verification?: OneTimeToken;
  invitation?: OneTimeToken;
  reset?: OneTimeToken;
  /** Whether the account may log in. */
  active: boolean;
  /** Present once TOTP is confirmed. */
  mfa?: MfaState;
  /** A TOTP secret shown to the user and not confirmed yet. */
  pendingTotp?: { secret: string; startedAt: string };
}

/** A user's stream, in the tenant the user belongs to. */
export const userStream = (tenantId: string, userId: string): string => `${tenantId}/user/${userId}`;

export const userPersonalData: Record<string, PersonalDataFields> = {
  UserRegistered: { subject: 'userId', fields: ['email', 'name', 'passwordHash'] },
  UserInvited: { subject: 'userId', fields: ['email'] },
  InvitationAccepted: { subject: 'userId', fields: ['name', 'passwordHash'] },
  PasswordReset: { subject: 'userId', fields: ['passwordHash'] },
  PasswordChanged: { subject: 'userId', fields: ['passwordHash'] },
  TotpEnrolmentStarted: { subject: 'userId', fields: ['secret'] },
  ...profilePersonalData,
};

function isProfileCommand(command: UserCommand): command is ProfileCommand {
  return (PROFILE_COMMANDS as readonly string[]).includes(command.type);
}

/** MSP roles act for the whole MSP; client roles for exactly one client. */
export function checkRoleScope(role: Role, clientId: string | null): void {
  if (isClientScoped(role) && !clientId)
    throw new DomainError('invalid', `The ${role} role belongs to one client: give its clientId`, 'clientId');
  if (!isClientScoped(role) && clientId)
    throw new DomainError('invalid', `The ${role} role acts for the whole MSP: it takes no clientId`, 'clientId');
}

/** The event that spends a second factor, or the reason it cannot be spent. */
function spend(mfa: MfaState | undefined, proof: SecondFactorProof, now: string): UserEvent {
  if (!mfa) throw new DomainError('invalid', 'Multi-factor sign-in is not on for this account', 'code');
  if (proof.method === 'totp') {
    if (proof.step <= mfa.lastStep) throw new DomainError('conflict', 'This code has been used already', 'code');
    return { type: 'TotpCodeUsed', data: { step: proof.step, usedAt: now } };
  }
  if (!mfa.recoveryCodeHashes.includes(proof.codeHash))
    throw new DomainError('invalid', 'This recovery code is not valid or was used', 'recoveryCode');
  return { type: 'RecoveryCodeUsed', data: { codeHash: proof.codeHash, usedAt: now } };
}

function redeem(token: OneTimeToken | undefined, tokenHash: string, now: string, what: string): void {
  if (!token || token.tokenHash !== tokenHash)
    throw new DomainError('invalid', `This ${what} link is not valid`, 'token');
  if (token.expiresAt <= now) throw new DomainError('gone', `This ${what} link has expired`, 'token');
}

export const userDecider: Decider<UserCommand, UserEvent, UserState> = {
  initialState: () => ({ exists: false, status: 'none', emailVerified: false, active: false, ...emptyProfileState() }),

  decide(command, state) {
    const existing = (): void => {
      if (!state.exists) throw new DomainError('not_found', 'No such user');
      if (state.status === 'erased') throw new DomainError('gone', 'The user has been erased');
    };
    if (isProfileCommand(command)) {
      existing();
      return decideProfile(command, state, state.userId!);
    }
    switch (command.type) {
      case 'RegisterUser': {
        if (state.exists) throw new DomainError('conflict', 'The user already exists');
        const { verification, type: _type, ...user } = command;
        return [
          { type: 'UserRegistered', data: user },
          { type: 'EmailVerificationIssued', data: verification },
        ];
      }
      case 'VerifyEmail': {
        if (state.exists && state.emailVerified) return []; // a second click on the link changes nothing
        redeem(state.verification, command.tokenHash, command.now, 'verification');
        return [{ type: 'EmailVerified', data: { verifiedAt: command.now } }];
      }
      case 'InviteUser': {
        if (state.exists) throw new DomainError('conflict', 'The user already exists');
        checkRoleScope(command.role, command.clientId);
        const { invitation, type: _type, ...user } = command;
        return [
          { type: 'UserInvited', data: user },
          { type: 'InvitationIssued', data: invitation },
        ];
      }
      case 'AcceptInvitation': {
        if (state.status !== 'invited') throw new DomainError('invalid', 'This invitation link is not valid', 'token');
        redeem(state.invitation, command.tokenHash, command.now, 'invitation');
        if (!command.name.trim()) throw new DomainError('invalid', 'A name is needed', 'name');
        return [
          {
            type: 'InvitationAccepted',
            data: {
              userId: state.userId!,
              name: command.name.trim(),
              passwordHash: command.passwordHash,
              acceptedAt: command.now,
            },
          },
        ];
      }
      case 'IssuePasswordReset': {
        if (!state.active) return []; // nothing to reset, and the caller says the same either way
        return [{ type: 'PasswordResetIssued', data: command.reset }];
      }
      case 'ResetPassword': {
        if (!state.active) throw new DomainError('invalid', 'This reset link is not valid', 'token');
        redeem(state.reset, command.tokenHash, command.now, 'reset');
        return [
          {
            type: 'PasswordReset',
            data: { userId: state.userId!, passwordHash: command.passwordHash, resetAt: command.now },
          },
          // The reset link was mailed to the address: following it proves the address, as the verification link
          // would have. Without this, an account whose verification link was lost could never log in.
          ...(state.emailVerified ? [] : [{ type: 'EmailVerified' as const, data: { verifiedAt: command.now } }]),
        ];
      }
      case 'ChangeRole': {
        existing();
        checkRoleScope(command.role, command.clientId);
        if (state.role === command.role && (state.clientId ?? null) === command.clientId) return [];
        return [
          {
            type: 'UserRoleChanged',
            data: { role: command.role, clientId: command.clientId, changedBy: command.changedBy },
          },
        ];
      }
      case 'DeactivateUser': {
        existing();
        if (state.status === 'deactivated') return [];
        return [{ type: 'UserDeactivated', data: { reason: command.reason } }];
      }
      case 'EraseUser': {
        if (!state.exists) throw new DomainError('not_found', 'No such user');
        if (state.status === 'erased') return [];
        return [{ type: 'UserErased', data: { erasedBy: command.erasedBy } }];
      }
      case 'ChangePassword': {
        existing();
        if (!state.active) throw new DomainError('forbidden', 'The account is not active');
        return [
          {
            type: 'PasswordChanged',
            data: { userId: state.userId!, passwordHash: command.passwordHash, changedAt: command.now },
          },
        ];
      }
      case 'StartTotpEnrolment': {
        existing();
        if (!state.active) throw new DomainError('forbidden', 'The account is not active');
        if (state.mfa) throw new DomainError('conflict', 'Multi-factor sign-in is on already: disable it first');
        return [
          {
            type: 'TotpEnrolmentStarted',
            data: { userId: state.userId!, secret: command.secret, startedAt: command.now },
          },
        ];
      }
      case 'ConfirmTotp': {
        existing();
        if (state.mfa) throw new DomainError('conflict', 'Multi-factor sign-in is on already');
        if (!state.pendingTotp)
          throw new DomainError('invalid', 'Start the enrolment first: POST /auth/mfa/totp', 'code');
        if (command.recoveryCodeHashes.length === 0)
          throw new DomainError('invalid', 'Recovery codes are needed', 'recoveryCodes');
        return [
          {
            type: 'TotpEnabled',
            data: { step: command.step, recoveryCodeHashes: command.recoveryCodeHashes, enabledAt: command.now },
          },
        ];
      }
      case 'UseSecondFactor': {
        existing();
        if (!state.active) throw new DomainError('forbidden', 'The account is not active');
        return [spend(state.mfa, command.proof, command.now)];
      }
      case 'DisableTotp': {
        existing();
        return [
          spend(state.mfa, command.proof, command.now),
          { type: 'TotpDisabled', data: { disabledAt: command.now } },
        ];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'UserRegistered':
        return { ...state, exists: true, status: 'active', active: true, ...event.data };
      case 'EmailVerificationIssued':
        return { ...state, verification: event.data };
      case 'EmailVerified':
        return { ...state, emailVerified: true, verification: undefined };
      case 'UserInvited': {
        const { invitedBy: _by, ...user } = event.data;
        return { ...state, exists: true, status: 'invited', active: false, ...user };
      }
      case 'InvitationIssued':
        return { ...state, invitation: event.data };
      case 'InvitationAccepted':
        // The invitation went to the address, so accepting it proves the address.
        return {
          ...state,
          status: 'active',
          active: true,
          emailVerified: true,
          invitation: undefined,
          name: event.data.name,
          passwordHash: event.data.passwordHash,
        };
      case 'PasswordResetIssued':
        return { ...state, reset: event.data };
      case 'PasswordReset':
        return { ...state, reset: undefined, passwordHash: event.data.passwordHash };
      case 'UserRoleChanged':
        return { ...state, role: event.data.role, clientId: event.data.clientId };
      case 'UserDeactivated':
        return { ...state, status: 'deactivated', active: false, reset: undefined, invitation: undefined };
      case 'UserErased':
        return {
          ...state,
          status: 'erased',
          active: false,
          reset: undefined,
          invitation: undefined,
          mfa: undefined,
          pendingTotp: undefined,
          ...emptyProfileState(),
        };
      case 'PasswordChanged':
        return { ...state, passwordHash: event.data.passwordHash };
      case 'TotpEnrolmentStarted':
        return { ...state, pendingTotp: { secret: event.data.secret, startedAt: event.data.startedAt } };
      case 'TotpEnabled':
        return {
          ...state,
          pendingTotp: undefined,
          mfa: {
            secret: state.pendingTotp?.secret ?? '',
            lastStep: event.data.step,
            recoveryCodeHashes: event.data.recoveryCodeHashes,
          },
        };
      case 'TotpCodeUsed':
        return state.mfa ? { ...state, mfa: { ...state.mfa, lastStep: event.data.step } } : state;
      case 'RecoveryCodeUsed':
        return state.mfa
          ? {
              ...state,
              mfa: {
                ...state.mfa,
                recoveryCodeHashes: state.mfa.recoveryCodeHashes.filter((hash) => hash !== event.data.codeHash),
              },
            }
          : state;
      case 'TotpDisabled':
        return { ...state, mfa: undefined };
      default:
        return { ...state, ...evolveProfile(state, event) };
    }
  },
};
