import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import { organizationDecider, organizationStream } from '../../domain/accounts/organization.js';
import type { UserState } from '../../domain/accounts/user.js';
import type { Session } from '../../infrastructure/auth/session-store.js';
import { opaqueToken } from '../../infrastructure/auth/tokens.js';
import { clientAddressOf } from '../../infrastructure/http/client-address.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import type { Resources } from '../../infrastructure/runtime/resources.js';
import type { CommandHandler } from '../http/command-handler.js';

/** How long the second step of a login may wait for its code. */
export const CHALLENGE_TTL_SECONDS = 5 * 60;

export const Tokens = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.int(),
  tokenType: z.literal('Bearer'),
  enrolmentOnly: z
    .boolean()
    .optional()
    .describe(
      'Present (true) when the organisation requires multi-factor sign-in and the user has none yet: the access token opens only enrolment (POST /auth/mfa/totp, /auth/mfa/totp/confirm) and the routes open to anyone signed in; every other route answers 403 mfa-enrolment-required.',
    ),
});

/** The first step of a login with multi-factor sign-in: no tokens yet, a challenge to answer at /auth/mfa/verify. */
export const MfaChallenge = z.object({
  mfaRequired: z.literal(true),
  challenge: z.string().describe('Single use, for five minutes: send it to POST /auth/mfa/verify with a code'),
  methods: z.array(z.enum(['totp', 'recovery'])),
  expiresIn: z.int(),
});

/** Tokens are answered, never stored: the operations that give them are public, so no Idempotency-Key keeps them. */
export const tokenAnswer = z.object({ data: Tokens, meta: z.object({}) });

/** What every sign-in of a suspended tenant's users is answered (ledger tenants suspend). */
export function tenantSuspended(): HttpProblem {
  return new HttpProblem(
    403,
    'tenant-suspended',
    'Organisation suspended',
    'Your organisation has been suspended by the operator of this ledger; nobody of it can sign in.',
  );
}

/** What login, the second step of login, and refresh share: tokens for a user, a new session with its details. */
export function signIn(resources: Resources, handler: CommandHandler) {
  const { sessions, accessTokens, config } = resources;

  async function tokensFor(user: UserState, session: Session, refreshToken: string): Promise<z.output<typeof Tokens>> {
    // Every way to tokens (login, its second step, refresh) comes through here: a suspended tenant gets none.
    const organization = (await handler.load({ decider: organizationDecider }, organizationStream(user.tenantId!)))
      .state;
    if (organization.suspended) {
      await sessions.revoke(session.familyId, config.REFRESH_TOKEN_TTL_SECONDS);
      throw tenantSuspended();
    }
    // The organisation requires a second factor the user has not set up yet.
    const limited = !user.mfa && organization.requireMfa;
    const accessToken = accessTokens.issue({
      userId: session.userId,
      tenantId: session.tenantId,
      role: user.role!,
      clientId: user.clientId ?? null,
      sessionId: session.familyId,
      ...(limited ? { enrolmentOnly: true } : {}),
    });
    return {
      accessToken,
      refreshToken,
      expiresIn: accessTokens.ttlSeconds,
      tokenType: 'Bearer',
      ...(limited ? { enrolmentOnly: true } : {}),
    };
  }

  /** A new session for the user, named by the request's device and address. */
  async function startSession(req: Request, user: UserState): Promise<z.output<typeof Tokens>> {
    const session = { familyId: randomUUID(), userId: user.userId!, tenantId: user.tenantId! };
    const refresh = opaqueToken();
    const userAgent = req.headers['user-agent'];
    await sessions.start(session, refresh.hash, config.REFRESH_TOKEN_TTL_SECONDS, {
      userAgent: userAgent ? userAgent.slice(0, 512) : null,
      address: clientAddressOf(req) ?? null,
    });
    return tokensFor(user, session, refresh.token);
  }

  return { tokensFor, startSession };
}
