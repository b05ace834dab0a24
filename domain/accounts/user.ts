import { DomainError, type Decider, type DomainEvent, type PersonalDataFields } from '../decider.js';
import type { Role } from './roles.js';

/**
 * A user account. Personal data (email, name) and the password hash are sealed under the user's own key when stored,
 * so erasing the user erases them everywhere. One-time tokens (email verification, password reset) are kept as
 * SHA-256 hashes with their expiry; the token itself only ever travels in the email.
 */
export type UserEvent =
  | DomainEvent<'UserRegistered', { userId: string; tenantId: string; email: string; name: string; passwordHash: string; role: Role; clientId: string | null }>
  | DomainEvent<'EmailVerificationIssued', { tokenHash: string; expiresAt: string }>
  | DomainEvent<'EmailVerified', { verifiedAt: string }>
  | DomainEvent<'UserDeactivated', { reason: string | null }>;

export type UserCommand =
  | { type: 'RegisterUser'; userId: string; tenantId: string; email: string; name: string; passwordHash: string; role: Role; clientId: string | null; verification: { tokenHash: string; expiresAt: string } }
  | { type: 'VerifyEmail'; tokenHash: string; now: string }
  | { type: 'DeactivateUser'; reason: string | null };

export interface UserState {
  exists: boolean;
  userId?: string;
  tenantId?: string;
  email?: string;
  name?: string;
  passwordHash?: string;
  role?: Role;
  clientId?: string | null;
  emailVerified: boolean;
  verification?: { tokenHash: string; expiresAt: string };
  active: boolean;
}

export const userPersonalData: Record<string, PersonalDataFields> = {
  UserRegistered: { subject: 'userId', fields: ['email', 'name', 'passwordHash'] },
};

export const userDecider: Decider<UserCommand, UserEvent, UserState> = {
  initialState: () => ({ exists: false, emailVerified: false, active: false }),

  decide(command, state) {
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
        if (!state.exists || !state.verification) throw new DomainError('invalid', 'This verification link is not valid', 'token');
        if (state.verification.tokenHash !== command.tokenHash) throw new DomainError('invalid', 'This verification link is not valid', 'token');
        if (state.verification.expiresAt <= command.now) throw new DomainError('gone', 'This verification link has expired', 'token');
        return [{ type: 'EmailVerified', data: { verifiedAt: command.now } }];
      }
      case 'DeactivateUser': {
        if (!state.exists) throw new DomainError('not_found', 'No such user');
        if (!state.active) return [];
        return [{ type: 'UserDeactivated', data: { reason: command.reason } }];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'UserRegistered':
        return { ...state, exists: true, active: true, ...event.data };
      case 'EmailVerificationIssued':
        return { ...state, verification: event.data };
      case 'EmailVerified':
        return { ...state, emailVerified: true, verification: undefined };
      case 'UserDeactivated':
        return { ...state, active: false };
    }
  },
};
