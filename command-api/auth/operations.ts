import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  emailStream,
  organizationDecider,
  organizationStream,
  SYSTEM_TENANT,
  type EmailState,
} from '../../domain/accounts/organization.js';
import { permissionsOf, ROLES } from '../../domain/accounts/roles.js';
import { userStream, type UserCommand } from '../../domain/accounts/user.js';
import { DomainError } from '../../domain/decider.js';
import { decoyHash, hashPassword, verifyPassword } from '../../infrastructure/auth/passwords.js';
import { hashToken, opaqueToken } from '../../infrastructure/auth/tokens.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { clientAddressOf } from '../../infrastructure/http/client-address.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { commandAnswer, Id, resource } from '../../infrastructure/http/contract/schemas.js';
import { HttpProblem, notFound } from '../../infrastructure/http/problem.js';
import type { Resources } from '../../infrastructure/runtime/resources.js';
import type { CommandHandler } from '../http/command-handler.js';
import { sendCommandResult } from '../http/responses.js';
import { accountExistsMail, passwordResetMail, verificationMail } from '../mail/templates.js';
import {
  accountToken,
  contextOf,
  Email,
  emails,
  limited,
  onTokenAccount,
  parseAccountToken,
  Password,
  PersonName,
  showLinkWithoutSmtp,
  Token,
  users,
} from './accounts.js';
import { SameTime } from './same-time.js';
import { CHALLENGE_TTL_SECONDS, MfaChallenge, signIn, tokenAnswer, Tokens } from './sign-in.js';

const VERIFICATION_TTL_MS = 24 * 3600 * 1000;
const RESET_TTL_MS = 3600 * 1000;

const Refresh = z.strictObject({ refreshToken: Token });
const tooMany = { description: 'Too many attempts; see Retry-After', problem: true } as const;
const auth = ['auth'] as const;

/** Registration, email verification, login, sessions and password resets. */
export function authCommands(resources: Resources, handler: CommandHandler, now: () => Date = () => new Date()) {
  const { sessions, accessTokens, config } = resources;
  const refreshTtl = config.REFRESH_TOKEN_TTL_SECONDS;
  const { tokensFor, startSession } = signIn(resources, handler);

  async function owner(email: string): Promise<EmailState['owner']> {
    return (await handler.load(emails, emailStream(resources.emailKey(email)))).state.owner;
  }

  const registration = new SameTime(250);

  return [
    operation({
      operationId: 'register',
      method: 'post',
      path: '/auth/register',
      tags: auth,
      summary: 'Create an MSP organisation and its first administrator; sends a verification email',
      access: 'public',
      headers: ['Idempotency-Key'],
      body: z.strictObject({ email: Email, password: Password, name: PersonName, organizationName: PersonName }),
      answers: {
        201: {
          description:
            'Registered; verify the email before logging in. meta.position is null: registration answers alike for every address',
          schema: commandAnswer(z.object({ userId: Id, tenantId: Id })),
        },
        409: { description: 'An account with this email exists', problem: true },
        422: { description: 'The command cannot be carried out', problem: true },
      },
      async handler(req, res) {
        const startedAt = performance.now();
        const { email, password, name, organizationName } = req.body;
        const tenantId = randomUUID();
        const userId = randomUUID();
        const addressStream = emailStream(resources.emailKey(email));
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
          .execute(
            emails,
            addressStream,
            { type: 'ClaimEmail', userId, tenantId },
            contextOf(req, SYSTEM_TENANT, userId),
          )
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
          const ip = clientAddressOf(req) ?? 'unknown';
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
          return sendCommandResult(res, 201, { userId, tenantId }, { position: null, revision });
        }
        try {
          await handler.execute(
            { decider: organizationDecider },
            organizationStream(tenantId),
            { type: 'RegisterOrganization', tenantId, name: organizationName, registeredBy: userId },
            contextOf(req, tenantId, userId),
          );
          const result = await handler.execute(
            users,
            userStream(tenantId, userId),
            register,
            contextOf(req, tenantId, userId),
            { expect: 'new' },
          );
          const link = resources.publicUrl.link(
            `/verify-email?token=${accountToken(tenantId, userId, verification.token)}`,
          );
          await resources.mailer.send(verificationMail({ email, name }, organizationName, link));
          showLinkWithoutSmtp(config.SMTP_URL, `Verify ${email}`, link);
          registration.observe(startedAt);
          // No log position: a decoy has none to give, and a position that moves only for new addresses would say
          // which addresses have an account. Nothing of the new account is readable before its email is verified.
          sendCommandResult(res, 201, { userId, tenantId }, { position: null, revision: result.revision });
        } catch (error) {
          // Give the address back, so that the same registration can be tried again.
          await handler
            .execute(emails, addressStream, { type: 'ReleaseEmail', userId }, contextOf(req, SYSTEM_TENANT, userId))
            .catch(() => {});
          throw error;
        }
      },
    }),
    operation({
      operationId: 'verifyEmail',
      method: 'post',
      path: '/auth/verify-email',
      tags: auth,
      summary: 'Confirm an email address with the token from the verification mail',
      access: 'public',
      headers: ['Idempotency-Key'],
      body: z.strictObject({ token: Token }),
      answers: {
        204: { description: 'Verified' },
        410: { description: 'The link has expired', problem: true },
        422: { description: 'The link is not valid', problem: true },
      },
      async handler(req, res) {
        const { tenantId, userId, secretHash } = parseAccountToken(req.body.token, 'verification');
        await onTokenAccount(
          () =>
            handler.execute(
              users,
              userStream(tenantId, userId),
              { type: 'VerifyEmail', tokenHash: secretHash, now: now().toISOString() },
              contextOf(req, tenantId, userId),
              { expect: 'existing' },
            ),
          'verification',
        );
        res.status(204).end();
      },
    }),
    operation({
      operationId: 'login',
      method: 'post',
      path: '/auth/login',
      tags: auth,
      summary: 'Exchange email and password for an access token (15 minutes) and a refresh token',
      description:
        'With multi-factor sign-in on, the answer is a challenge instead of tokens (mfaRequired: true): send it with a code to POST /auth/mfa/verify within five minutes. When the organisation requires multi-factor sign-in and the user has none yet, the tokens are limited to enrolment (enrolmentOnly: true).',
      access: 'public',
      headers: ['Idempotency-Key'],
      body: z.strictObject({ email: Email, password: z.string().min(1).max(256) }),
      answers: {
        200: {
          description: 'Logged in, or the challenge of the second step',
          schema: z.object({ data: z.union([Tokens, MfaChallenge]), meta: z.object({}) }),
        },
        401: { description: 'Wrong email or password', problem: true },
        403: {
          description: "The email address is not verified yet, or the user's organisation is suspended",
          problem: true,
        },
        429: tooMany,
      },
      async handler(req, res) {
        const { email, password } = req.body;
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
        if (user.mfa) {
          // The password was right, but the attempts are not given back: the code still counts against them, so a
          // known password does not reset the count for guessing codes.
          const challenge = opaqueToken();
          await sessions.createChallenge(
            challenge.hash,
            { userId: user.userId!, tenantId: user.tenantId! },
            CHALLENGE_TTL_SECONDS,
          );
          res.json({
            data: {
              mfaRequired: true,
              challenge: challenge.token,
              methods: ['totp', 'recovery'],
              expiresIn: CHALLENGE_TTL_SECONDS,
            },
            meta: {},
          });
          return;
        }
        await resources.loginLimiter.succeed(account, ip);
        res.json({ data: await startSession(req, user), meta: {} });
      },
    }),
    operation({
      operationId: 'refresh',
      method: 'post',
      path: '/auth/refresh',
      tags: auth,
      summary: 'Rotate a refresh token; reusing an old one ends the whole session',
      access: 'public',
      headers: ['Idempotency-Key'],
      body: Refresh,
      answers: {
        200: { description: 'New tokens', schema: tokenAnswer },
        401: { description: 'Unknown, expired or reused refresh token', problem: true },
        403: { description: "The user's organisation is suspended", problem: true },
      },
      async handler(req, res) {
        const next = opaqueToken();
        const rotation = await sessions.rotate(hashToken(req.body.refreshToken), next.hash, refreshTtl);
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
          throw new HttpProblem(
            401,
            'invalid-refresh-token',
            'Invalid refresh token',
            'The account is no longer active.',
          );
        }
        res.json({ data: await tokensFor(user, session, next.token), meta: {} });
      },
    }),
    operation({
      operationId: 'logout',
      method: 'post',
      path: '/auth/logout',
      tags: auth,
      summary: 'End the session: its refresh and access tokens stop working at once',
      access: 'public',
      headers: ['Idempotency-Key'],
      body: Refresh,
      answers: { 204: { description: 'Logged out' } },
      async handler(req, res) {
        const session = await sessions.lookup(hashToken(req.body.refreshToken));
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
      },
    }),
    operation({
      operationId: 'requestPasswordReset',
      method: 'post',
      path: '/auth/reset-password/request',
      tags: auth,
      summary: 'Mail a one-hour reset link; the answer is the same whether or not the address has an account',
      access: 'public',
      headers: ['Idempotency-Key'],
      body: z.strictObject({ email: Email }),
      answers: { 202: { description: 'If the address has an account, a link is on its way' }, 429: tooMany },
      // The same answer, at about the same speed, whether or not the address has an account.
      async handler(req, res) {
        const { email } = req.body;
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
      },
    }),
    operation({
      operationId: 'resetPassword',
      method: 'post',
      path: '/auth/reset-password',
      tags: auth,
      summary: 'Set a new password with the token from the reset mail; ends every session of the account',
      access: 'public',
      headers: ['Idempotency-Key'],
      body: z.strictObject({ token: Token, password: Password }),
      answers: {
        204: { description: 'Password changed' },
        410: { description: 'The link has expired', problem: true },
        422: { description: 'The link is not valid or was used', problem: true },
      },
      async handler(req, res) {
        const { token, password } = req.body;
        const { tenantId, userId, secretHash } = parseAccountToken(token, 'reset');
        const passwordHash = await hashPassword(password);
        await onTokenAccount(
          () =>
            handler.execute(
              users,
              userStream(tenantId, userId),
              { type: 'ResetPassword', tokenHash: secretHash, passwordHash, now: now().toISOString() },
              contextOf(req, tenantId, userId),
              { expect: 'existing' },
            ),
          'reset',
        );
        await sessions.revokeUser(userId, refreshTtl); // a reset ends every session of the account
        res.status(204).end();
      },
    }),
    operation({
      operationId: 'me',
      method: 'get',
      path: '/auth/me',
      tags: auth,
      summary: 'Who you are and what you may do',
      access: 'signed-in',
      answers: {
        200: {
          description: 'The caller',
          schema: resource(
            z.object({
              userId: Id,
              email: z.string(),
              name: z.string(),
              role: z.enum(ROLES),
              tenantId: Id,
              clientId: z.string().nullable().optional(),
              permissions: z.array(z.string()),
              emailVerified: z.boolean(),
              mfaEnabled: z.boolean().describe('Whether the user signs in with a second factor (TOTP)'),
            }),
          ),
        },
        404: { description: 'No such user', problem: true },
      },
      async handler(_req, res) {
        const caller = authOf(res);
        const user = (await handler.load(users, userStream(caller.tenantId, caller.userId))).state;
        if (!user.exists) throw notFound('user');
        res.json({
          data: {
            userId: caller.userId,
            email: user.email!,
            name: user.name!,
            role: user.role!,
            tenantId: caller.tenantId,
            clientId: user.clientId ?? null,
            permissions: [...permissionsOf(user.role!)],
            emailVerified: user.emailVerified,
            mfaEnabled: Boolean(user.mfa),
          },
          meta: {},
        });
      },
    }),
  ];
}
