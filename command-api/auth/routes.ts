import { randomUUID } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import { emailDecider, organizationDecider, type EmailCommand, type EmailEvent, type EmailState } from '../../domain/accounts/organization.js';
import { permissionsOf } from '../../domain/accounts/roles.js';
import { userDecider, userPersonalData, type UserCommand, type UserEvent, type UserState } from '../../domain/accounts/user.js';
import { DomainError } from '../../domain/decider.js';
import { decoyHash, hashPassword, verifyPassword } from '../../infrastructure/auth/passwords.js';
import { hashToken, opaqueToken } from '../../infrastructure/auth/tokens.js';
import { authOf, authenticate } from '../../infrastructure/http/authentication.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { TooManyAttemptsError } from '../../infrastructure/rate-limit/login-limiter.js';
import type { Resources } from '../../infrastructure/runtime/resources.js';
import type { Aggregate, CommandContext, CommandHandler } from '../http/command-handler.js';
import { sendCommandResult } from '../http/responses.js';
import { verificationMail } from '../mail/templates.js';

const SYSTEM_TENANT = 'system';
const VERIFICATION_TTL_MS = 24 * 3600 * 1000;
const users: Aggregate<UserCommand, UserEvent, UserState> = { decider: userDecider, personalData: userPersonalData };
const emails: Aggregate<EmailCommand, EmailEvent, EmailState> = { decider: emailDecider };

export const userStream = (tenantId: string, userId: string): string => `${tenantId}/user/${userId}`;

/** A one-time token that names its account: <tenantId>.<userId>.<secret>. Only the secret's hash is stored. */
const ACCOUNT_TOKEN = /^([0-9a-f-]{36})\.([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

function contextOf(req: Request, tenantId: string, actorId: string): CommandContext {
  return { tenantId, actorId, correlationId: String(req.id), ip: req.ip };
}

export function authRoutes(resources: Resources, handler: CommandHandler, now: () => Date = () => new Date()): Router {
  const router = express.Router();
  const { sessions, accessTokens, config } = resources;
  const refreshTtl = config.REFRESH_TOKEN_TTL_SECONDS;

  async function owner(email: string): Promise<EmailState['owner']> {
    return (await handler.load(emails, `${SYSTEM_TENANT}/email/${resources.emailKey(email)}`)).state.owner;
  }

  /** The login answer: a fresh access token with the user's current role, and the session's new refresh token. */
  function tokensFor(user: UserState, session: { familyId: string; userId: string; tenantId: string }, refreshToken: string) {
    const accessToken = accessTokens.issue({ userId: session.userId, tenantId: session.tenantId, role: user.role!, clientId: user.clientId ?? null, sessionId: session.familyId });
    return { accessToken, refreshToken, expiresIn: accessTokens.ttlSeconds, tokenType: 'Bearer' as const };
  }

  router.post('/auth/register', async (req, res) => {
    const { email, password, name, organizationName } = req.body as { email: string; password: string; name: string; organizationName: string };
    const tenantId = randomUUID();
    const userId = randomUUID();
    const emailStream = `${SYSTEM_TENANT}/email/${resources.emailKey(email)}`;
    const passwordHash = await hashPassword(password);
    await handler.execute(emails, emailStream, { type: 'ClaimEmail', userId, tenantId }, contextOf(req, SYSTEM_TENANT, userId));
    try {
      await handler.execute({ decider: organizationDecider }, `${tenantId}/organization/${tenantId}`, { type: 'RegisterOrganization', tenantId, name: organizationName, registeredBy: userId }, contextOf(req, tenantId, userId));
      const verification = opaqueToken();
      const result = await handler.execute(
        users,
        userStream(tenantId, userId),
        {
          type: 'RegisterUser',
          userId,
          tenantId,
          email: email.trim().toLowerCase(),
          name: name.trim(),
          passwordHash,
          role: 'msp_admin',
          clientId: null,
          verification: { tokenHash: verification.hash, expiresAt: new Date(now().getTime() + VERIFICATION_TTL_MS).toISOString() },
        },
        contextOf(req, tenantId, userId),
        { expect: 'new' },
      );
      const link = `${config.PUBLIC_URL ?? `${req.protocol}://${req.get('host')}`}/verify-email?token=${tenantId}.${userId}.${verification.token}`;
      await resources.mailer.send(verificationMail({ email, name }, organizationName, link));
      if (!config.SMTP_URL) {
        // The embedded default has no mail server: show the link to whoever runs the ledger (never in production).
        console.log(`\n  ✉  Verify ${email}: ${link}\n`);
      }
      sendCommandResult(res, 201, { userId, tenantId }, result);
    } catch (error) {
      // Give the address back, so that the same registration can be tried again.
      await handler.execute(emails, emailStream, { type: 'ReleaseEmail', userId }, contextOf(req, SYSTEM_TENANT, userId)).catch(() => {});
      throw error;
    }
  });

  router.post('/auth/verify-email', async (req, res) => {
    const match = ACCOUNT_TOKEN.exec((req.body as { token: string }).token);
    if (!match) throw new DomainError('invalid', 'This verification link is not valid', 'token');
    const [, tenantId, userId, secret] = match as unknown as [string, string, string, string];
    await handler
      .execute(users, userStream(tenantId, userId), { type: 'VerifyEmail', tokenHash: hashToken(secret), now: now().toISOString() }, contextOf(req, tenantId, userId), { expect: 'existing' })
      .catch((error: unknown) => {
        if (error instanceof DomainError && error.code === 'not_found') throw new DomainError('invalid', 'This verification link is not valid', 'token');
        throw error;
      });
    res.status(204).end();
  });

  router.post('/auth/login', async (req, res) => {
    const { email, password } = req.body as { email: string; password: string };
    const account = resources.emailKey(email);
    const ip = req.ip ?? 'unknown';
    try {
      await resources.loginLimiter.check(account, ip);
    } catch (error) {
      if (error instanceof TooManyAttemptsError) {
        res.setHeader('Retry-After', String(error.retryAfterSeconds));
        throw new HttpProblem(429, 'too-many-attempts', 'Too many attempts', `Too many failed logins; retry in ${error.retryAfterSeconds} seconds.`);
      }
      throw error;
    }
    const found = await owner(email);
    const user = found ? (await handler.load(users, userStream(found.tenantId, found.userId))).state : undefined;
    // Same work, same answer, whether the account is missing, inactive or the password wrong.
    const valid = await verifyPassword(user?.passwordHash ?? (await decoyHash()), password);
    if (!user || !user.active || !valid) {
      await resources.loginLimiter.fail(account, ip);
      throw new HttpProblem(401, 'invalid-credentials', 'Invalid credentials', 'The email or password is wrong.');
    }
    if (!user.emailVerified) {
      throw new HttpProblem(403, 'email-not-verified', 'Email not verified', 'Confirm your email address with the link we sent, then log in.');
    }
    await resources.loginLimiter.succeed(account);
    const session = { familyId: randomUUID(), userId: user.userId!, tenantId: user.tenantId! };
    const refresh = opaqueToken();
    await sessions.start(session, refresh.hash, refreshTtl);
    res.json({ data: tokensFor(user, session, refresh.token), meta: {} });
  });

  router.post('/auth/refresh', async (req, res) => {
    const next = opaqueToken();
    const rotation = await sessions.rotate(hashToken((req.body as { refreshToken: string }).refreshToken), next.hash, refreshTtl);
    if (rotation.status === 'reused') {
      req.log.warn({ sessionId: rotation.session.familyId, userId: rotation.session.userId }, 'refresh token reused: session revoked');
      throw new HttpProblem(401, 'refresh-token-reused', 'Refresh token reused', 'This refresh token was already used; the session has been ended for safety. Log in again.');
    }
    if (rotation.status === 'unknown') throw new HttpProblem(401, 'invalid-refresh-token', 'Invalid refresh token', 'The refresh token is unknown or expired. Log in again.');
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
