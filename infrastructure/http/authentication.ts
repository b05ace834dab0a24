import type { RequestHandler, Response } from 'express';
import { permissionsOf, type Permission, type Role } from '../../domain/accounts/roles.js';
import { InvalidTokenError, type AccessTokens } from '../auth/tokens.js';
import type { SessionStore } from '../auth/session-store.js';
import { HttpProblem, notFound } from './problem.js';

export interface Authenticated {
  userId: string;
  tenantId: string;
  role: Role;
  clientId: string | null;
  sessionId: string;
  permissions: readonly Permission[];
  /** Signed in only to enrol in multi-factor sign-in, which the organisation requires: no permission at all. */
  enrolmentOnly?: boolean;
}

/**
 * Bearer authentication: a valid, unexpired access token whose session has not been revoked (logout, refresh-token
 * reuse). Puts the caller in res.locals.auth.
 */
export function authenticate(tokens: AccessTokens, sessions: SessionStore): RequestHandler {
  return async (req, res, rawNext) => {
    // RFC 6750: a 401 names the scheme to authenticate with.
    const next = (error?: unknown) => {
      if (error instanceof HttpProblem && error.status === 401) {
        res.setHeader('WWW-Authenticate', `Bearer realm="compliance-ledger", error="invalid_token"`);
      }
      rawNext(error);
    };
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) {
      return next(
        new HttpProblem(
          401,
          'unauthenticated',
          'Authentication required',
          'Send an access token: Authorization: Bearer <token>.',
        ),
      );
    }
    try {
      const claims = tokens.verify(match[1]!);
      if (await sessions.isRevoked(claims.sessionId)) {
        return next(new HttpProblem(401, 'session-revoked', 'Session ended', 'This session has ended; log in again.'));
      }
      res.locals.auth = {
        ...claims,
        permissions: claims.enrolmentOnly ? [] : permissionsOf(claims.role),
      } satisfies Authenticated;
      next();
    } catch (error) {
      if (error instanceof InvalidTokenError) {
        return next(
          error.reason === 'expired'
            ? new HttpProblem(401, 'token-expired', 'Access token expired', 'The access token has expired; refresh it.')
            : new HttpProblem(401, 'invalid-token', 'Invalid access token', 'The access token is not valid.'),
        );
      }
      next(error);
    }
  };
}

export function authOf(res: Response): Authenticated {
  const auth = res.locals.auth as Authenticated | undefined;
  if (!auth) throw new Error('authOf() used on a route without authenticate()');
  return auth;
}

/** Every route declares the permission it needs. */
export function requirePermission(permission: Permission, ...alternatives: Permission[]): RequestHandler {
  const accepted = [permission, ...alternatives];
  return (_req, res, next) => {
    const auth = authOf(res);
    if (auth.enrolmentOnly) return next(mfaEnrolmentRequired());
    if (!accepted.some((p) => auth.permissions.includes(p))) {
      return next(
        new HttpProblem(
          403,
          'forbidden',
          'Forbidden',
          `Your role (${auth.role}) does not have the ${accepted.join(' or ')} permission.`,
        ),
      );
    }
    next();
  };
}

/** What a caller signed in only to enrol gets from every route that needs a permission. */
export function mfaEnrolmentRequired(): HttpProblem {
  return new HttpProblem(
    403,
    'mfa-enrolment-required',
    'Multi-factor sign-in required',
    'Your organisation requires multi-factor sign-in. Enrol with POST /auth/mfa/totp and confirm with POST /auth/mfa/totp/confirm, then log in again.',
  );
}

/**
 * Client-scoped users (client_admin, compliance_officer, member) only ever see their own client. For them another
 * client is a 404, the same answer as for a client that does not exist, so existence does not leak.
 */
export function assertClientAccess(auth: Authenticated, clientId: string): void {
  if (auth.clientId !== null && auth.clientId !== clientId) {
    throw notFound('resource');
  }
}
