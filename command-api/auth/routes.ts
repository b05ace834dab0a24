import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import {
  emailDecider,
  organizationDecider,
  type EmailCommand,
  type EmailEvent,
  type EmailState,
} from '../../domain/accounts/organization.js';
import { permissionsOf } from '../../domain/accounts/roles.js';
import {
  userDecider,
  userPersonalData,
  type UserCommand,
  type UserEvent,
  type UserState,
} from '../../domain/accounts/user.js';
import { DomainError } from '../../domain/decider.js';
import { decoyHash, hashPassword, verifyPassword } from '../../infrastructure/auth/passwords.js';
import { hashToken, opaqueToken } from '../../infrastructure/auth/tokens.js';
import { authOf, authenticate } from '../../infrastructure/http/authentication.js';
import { clientAddressOf } from '../../infrastructure/http/client-address.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { TooManyAttemptsError } from '../../infrastructure/rate-limit/login-limiter.js';
import type { Resources } from '../../infrastructure/runtime/resources.js';
import type { Aggregate, CommandContext, CommandHandler } from '../http/command-handler.js';
import { sendCommandResult } from '../http/responses.js';
import { SameTime } from './same-time.js';
import { accountExistsMail, passwordResetMail, verificationMail } from '../mail/templates.js';

export const SYSTEM_TENANT = 'system';
const VERIFICATION_TTL_MS = 24 * 3600 * 1000;
const RESET_TTL_MS = 3600 * 1000;
export const users: Aggregate<UserCommand, UserEvent, UserState> = {
  decider: userDecider,
  personalData: userPersonalData,
};
export const emails: Aggregate<EmailCommand, EmailEvent, EmailState> = { decider: emailDecider };

export const userStream = (tenantId: string, userId: string): string => `${tenantId}/user/${userId}`;

/** A one-time token that names its account: <tenantId>.<userId>.<secret>. Only the secret's hash is stored. */
const ACCOUNT_TOKEN = /^([0-9a-f-]{36})\.([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

export function accountToken(tenantId: string, userId: string, secret: string): string {
  return `${tenantId}.${userId}.${secret}`;
}

/** Splits a one-time token; anything malformed is the same 422 as a wrong one. */
export function parseAccountToken(
  token: string,
  what: string,
): { tenantId: string; userId: string; secretHash: string } {
  const match = ACCOUNT_TOKEN.exec(token);
  if (!match) throw new DomainError('invalid', `This ${what} link is not valid`, 'token');
  return { tenantId: match[1]!, userId: match[2]!, secretHash: hashToken(match[3]!) };
}

/** Runs a command against the account a token names; a token naming no account is an invalid token. */
export async function onTokenAccount(run: () => Promise<unknown>, what: string): Promise<void> {
  await run().catch((error: unknown) => {
    if (error instanceof DomainError && error.code === 'not_found')
      throw new DomainError('invalid', `This ${what} link is not valid`, 'token');
    throw error;
  });
}

export function contextOf(req: Request, tenantId: string, actorId: string): CommandContext {
  return { tenantId, actorId, correlationId: String(req.id), ip: clientAddressOf(req) };
}

/** The embedded default has no mail server: show the link to whoever runs the ledger (never when SMTP is set). */
export function showLinkWithoutSmtp(smtp: string | undefined, what: string, link: string): void {
  if (!smtp) console.log(`\n  ✉  ${what}: ${link}\n`);
}

/** Turns a used-up attempt limit into 429 with Retry-After. */
async function limited(check: () => Promise<void>, res: Response): Promise<void> {
  try {
    await check();
  } catch (error) {
    if (error instanceof TooManyAttemptsError) {
      res.setHeader('Retry-After', String(error.retryAfterSeconds));
      throw new HttpProblem(
        429,
        'too-many-attempts',
        'Too many attempts',
        `Too many attempts; retry in ${error.retryAfterSeconds} seconds.`,
      );
    }
    throw error;
  }
}

export function authRoutes(resources: Resources, handler: CommandHandler, now: () => Date = () => new Date()): Router {
  const router = express.Router();
  const { sessions, accessTokens, config } = resources;
  const refreshTtl = config.REFRESH_TOKEN_TTL_SECONDS;

  async function owner(email: string): Promise<EmailState['owner']> {
    return (await handler.load(emails, `${SYSTEM_TENANT}/email/${resources.emailKey(email)}`)).state.owner;
  }

  /** The login answer: a fresh access token with the user's current role, and the session's new refresh token. */
  function tokensFor(
    user: UserState,
    session: { familyId: string; userId: string; tenantId: string },
    refreshToken: string,
  ) {
    const accessToken = accessTokens.issue({
      userId: session.userId,
      tenantId: session.tenantId,
      role: user.role!,
      clientId: user.clientId ?? null,
      sessionId: session.familyId,
    });
    return { accessToken, refreshToken, expiresIn: accessTokens.ttlSeconds, tokenType: 'Bearer' as const };
  }

  const registration = new SameTime(250);

  router.post('/auth/register', async (req, res) => {
    const startedAt = performance.now();
    const { email, password, name, organizationName } = req.body as {
      email: string;
      password: string;
      name: string;
      organizationName: string;
    };
    const tenantId = randomUUID();
    const userId = randomUUID();
    const emailStream = `${SYSTEM_TENANT}/email/${resources.emailKey(email)}`;
    const passwordHash = await hashPassword(password);
    const verification = opaqueToken();
    const register: UserCommand = {
      type: 'RegisterUser',
      userId,
      tenantId,
      email: email.trim().toLowerCase(),
      name: name.trim(),
      passwordHash,
      role: 'msp_admin',
      clientId: null,
      verification: {
        tokenHash: verification.hash,
        expiresAt: new Date(now().getTime() + VERIFICATION_TTL_MS).toISOString(),
      },
    };
    const claimed = await handler
      .execute(emails, emailStream, { type: 'ClaimEmail', userId, tenantId }, contextOf(req, SYSTEM_TENANT, userId))
      .then(
        () => true,
        (error: unknown) => {
          if (error instanceof DomainError && error.code === 'conflict') return false;
          throw error;
        },
      );
    if (!claimed) {
      // The address has an account. Answer as for a new one (the same ETag a new account's stream would have), so
      // that registration cannot tell who is a customer, and tell the owner instead: a few times an hour at most,
      // and the answer stays the same when no mail goes.
      const ip = req.ip ?? 'unknown';
      const notify = await resources.registrationNoticeLimiter.consume(resources.emailKey(email), ip).then(
        () => true,
        () => false,
      );
      if (notify)
        await resources.mailer.send(
          accountExistsMail(email.trim().toLowerCase(), resources.publicUrl.link('/reset-password')),
        );
      const revision = users.decider.decide(register, users.decider.initialState()).length - 1;
      await registration.pad(startedAt);
      return sendCommandResult(
        res,
        201,
        { userId, tenantId },
        { position: await resources.eventStore.headPosition(), revision },
      );
    }
    try {
      await handler.execute(
        { decider: organizationDecider },
        `${tenantId}/organization/${tenantId}`,
        { type: 'RegisterOrganization', tenantId, name: organizationName, registeredBy: userId },
        contextOf(req, tenantId, userId),
      );
      const result = await handler.execute(
        users,
        userStream(tenantId, userId),
        register,
        contextOf(req, tenantId, userId),
        {
          expect: 'new',
        },
      );
      const link = resources.publicUrl.link(
        `/verify-email?token=${accountToken(tenantId, userId, verification.token)}`,
      );
      await resources.mailer.send(verificationMail({ email, name }, organizationName, link));
      showLinkWithoutSmtp(config.SMTP_URL, `Verify ${email}`, link);
      registration.observe(startedAt);
      sendCommandResult(res, 201, { userId, tenantId }, result);
    } catch (error) {
      // Give the address back, so that the same registration can be tried again.
      await handler
        .execute(emails, emailStream, { type: 'ReleaseEmail', userId }, contextOf(req, SYSTEM_TENANT, userId))
        .catch(() => {});
      throw error;
    }
  });

  router.post('/auth/verify-email', async (req, res) => {
    const { tenantId, userId, secretHash } = parseAccountToken((req.body as { token: string }).token, 'verification');
    await onTokenAccount(
      () =>
        handler.execute(
          users,
          userStream(tenantId, userId),
          { type: 'VerifyEmail', tokenHash: secretHash, now: now().toISOString() },
          contextOf(req, tenantId, userId),
          {
            expect: 'existing',
          },
        ),
      'verification',
    );
    res.status(204).end();
  });

  // The same answer, at about the same speed, whether or not the address has an account.
  router.post('/auth/reset-password/request', async (req, res) => {
    const { email } = req.body as { email: string };
    const account = resources.emailKey(email);
    const ip = clientAddressOf(req) ?? 'unknown';
    await limited(() => resources.resetLimiter.consume(account, ip), res); // every request counts, found or not
    const found = await owner(email);
    if (found) {
      const reset = opaqueToken();
      const result = await handler.execute(
        users,
        userStream(found.tenantId, found.userId),
        {
          type: 'IssuePasswordReset',
          reset: { tokenHash: reset.hash, expiresAt: new Date(now().getTime() + RESET_TTL_MS).toISOString() },
        },
        contextOf(req, found.tenantId, found.userId),
        // Requests in parallel: each new reset supersedes the last. A 409 here would tell that the account exists.
        { retriesOnConflict: 5 },
      );
      if (result.events.length > 0) {
        const link = resources.publicUrl.link(
          `/reset-password?token=${accountToken(found.tenantId, found.userId, reset.token)}`,
        );
        await resources.mailer.send(passwordResetMail(email, link));
        showLinkWithoutSmtp(config.SMTP_URL, `Reset the password of ${email}`, link);
      }
    }
    res.status(202).end();
  });

  router.post('/auth/reset-password', async (req, res) => {
    const { token, password } = req.body as { token: string; password: string };
    const { tenantId, userId, secretHash } = parseAccountToken(token, 'reset');
    const passwordHash = await hashPassword(password);
    await onTokenAccount(
      () =>
        handler.execute(
          users,
          userStream(tenantId, userId),
          { type: 'ResetPassword', tokenHash: secretHash, passwordHash, now: now().toISOString() },
          contextOf(req, tenantId, userId),
          {
            expect: 'existing',
          },
        ),
      'reset',
    );
    await sessions.revokeUser(userId, refreshTtl); // a reset ends every session of the account
    res.status(204).end();
  });

  router.post('/auth/login', async (req, res) => {
    const { email, password } = req.body as { email: string; password: string };
    const account = resources.emailKey(email);
    const ip = clientAddressOf(req) ?? 'unknown';
    // The attempt is taken before the password is checked, so that parallel guesses cannot outrun the limit.
    await limited(() => resources.loginLimiter.consume(account, ip), res);
    const found = await owner(email);
    const user = found ? (await handler.load(users, userStream(found.tenantId, found.userId))).state : undefined;
    // Same work, same answer, whether the account is missing, inactive or the password wrong.
    const valid = await verifyPassword(user?.passwordHash ?? (await decoyHash()), password);
    if (!user || !user.active || !valid) {
      throw new HttpProblem(401, 'invalid-credentials', 'Invalid credentials', 'The email or password is wrong.');
    }
    if (!user.emailVerified) {
      throw new HttpProblem(
        403,
        'email-not-verified',
        'Email not verified',
        'Confirm your email address with the link we sent, then log in.',
      );
    }
    await resources.loginLimiter.succeed(account, ip);
    const session = { familyId: randomUUID(), userId: user.userId!, tenantId: user.tenantId! };
    const refresh = opaqueToken();
    await sessions.start(session, refresh.hash, refreshTtl);
    res.json({ data: tokensFor(user, session, refresh.token), meta: {} });
  });

  router.post('/auth/refresh', async (req, res) => {
    const next = opaqueToken();
    const rotation = await sessions.rotate(
      hashToken((req.body as { refreshToken: string }).refreshToken),
      next.hash,
      refreshTtl,
    );
    if (rotation.status === 'reused') {
      req.log.warn(
        { sessionId: rotation.session.familyId, userId: rotation.session.userId },
        'refresh token reused: session revoked',
      );
      throw new HttpProblem(
        401,
        'refresh-token-reused',
        'Refresh token reused',
        'This refresh token was already used; the session has been ended for safety. Log in again.',
      );
    }
    if (rotation.status === 'unknown')
      throw new HttpProblem(
        401,
        'invalid-refresh-token',
        'Invalid refresh token',
        'The refresh token is unknown or expired. Log in again.',
      );
    const { session } = rotation;
    const user = (await handler.load(users, userStream(session.tenantId, session.userId))).state;
    if (!user.active) {
      await sessions.revoke(session.familyId, refreshTtl);
      throw new HttpProblem(401, 'invalid-refresh-token', 'Invalid refresh token', 'The account is no longer active.');
    }
    res.json({ data: tokensFor(user, session, next.token), meta: {} });
  });

  router.post('/auth/logout', async (req, res) => {
    const session = await sessions.lookup(hashToken((req.body as { refreshToken: string }).refreshToken));
    if (session) await sessions.revoke(session.familyId, refreshTtl);
    // The access token presented with it, if any, ends too (it may belong to another session of the same user).
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer) {
      try {
        await sessions.revoke(accessTokens.verify(bearer).sessionId, refreshTtl);
      } catch {
        // an expired or invalid access token has nothing left to revoke
      }
    }
    res.status(204).end();
  });

  router.get('/auth/me', authenticate(accessTokens, sessions), async (_req, res) => {
    const auth = authOf(res);
    const user = (await handler.load(users, userStream(auth.tenantId, auth.userId))).state;
    if (!user.exists) throw new HttpProblem(404, 'not-found', 'Not found', 'No such user.');
    res.json({
      data: {
        userId: auth.userId,
        email: user.email!,
        name: user.name!,
        role: user.role!,
        tenantId: auth.tenantId,
        clientId: user.clientId ?? null,
        permissions: [...permissionsOf(user.role!)],
        emailVerified: user.emailVerified,
      },
      meta: {},
    });
  });

  return router;
}
