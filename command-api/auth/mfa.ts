import type { Request, Response } from 'express';
import { z } from 'zod';
import { userStream, type SecondFactorProof, type UserState } from '../../domain/accounts/user.js';
import { DomainError } from '../../domain/decider.js';
import {
  enrolmentOf,
  isTotpCode,
  matchedStep,
  newRecoveryCodes,
  newTotpSecret,
  normalRecoveryCode,
} from '../../infrastructure/auth/totp.js';
import { hashToken } from '../../infrastructure/auth/tokens.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { clientAddressOf } from '../../infrastructure/http/client-address.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { commandAnswer } from '../../infrastructure/http/contract/schemas.js';
import type { StoredAnswerRules } from '../../infrastructure/http/idempotency.js';
import { HttpProblem, invalidFields, notFound } from '../../infrastructure/http/problem.js';
import type { Resources } from '../../infrastructure/runtime/resources.js';
import type { CommandHandler } from '../http/command-handler.js';
import { commandContext } from '../http/context.js';
import { sendCommandResult } from '../http/responses.js';
import { contextOf, limited, Token, users } from './accounts.js';
import { signIn, tokenAnswer } from './sign-in.js';

const tags = ['auth'] as const;
const Code = z.string().min(1).max(64).describe('A current TOTP code (six digits), or a recovery code');
const RecoveryCode = z.string().min(1).max(64).describe('One of the recovery codes given at enrolment');
const tooMany = { description: 'Too many attempts; see Retry-After', problem: true } as const;

const enrolmentAnswer: StoredAnswerRules = {
  withheld: ['secret', 'otpauthUrl', 'qrCode'],
  reason: 'The TOTP secret is shown only once and is never stored in answers; start the enrolment again.',
};
const recoveryAnswer: StoredAnswerRules = {
  withheld: ['recoveryCodes'],
  reason: 'Recovery codes are shown only once; disable multi-factor sign-in and enrol again for new ones.',
};

const wrongCode = () =>
  new HttpProblem(401, 'invalid-mfa-code', 'Wrong code', 'The code is wrong, expired or used already.', {
    errors: [{ field: 'code', message: 'wrong, expired or used already' }],
  });

/**
 * Multi-factor sign-in with TOTP (RFC 6238): enrolment with a QR code and a confirming code, the second step of a
 * login, and disabling with a fresh second factor. Codes are checked here (the domain has no clock), and the step a
 * code matched goes to the user's aggregate, which refuses a step it has seen: a code works once.
 */
export function mfaCommands(resources: Resources, handler: CommandHandler, now: () => Date = () => new Date()) {
  const { startSession } = signIn(resources, handler);
  const recoveryHash = (user: UserState, code: string) =>
    resources.tenantHash(user.tenantId!, 'recovery-code', `${user.userId}:${normalRecoveryCode(code)}`);

  /** The proof a code gives for this user, or null when it proves nothing. */
  function proofOf(user: UserState, given: { code?: string; recoveryCode?: string }): SecondFactorProof | null {
    if (!user.mfa) return null;
    const recovery =
      given.recoveryCode ?? (given.code !== undefined && !isTotpCode(given.code) ? given.code : undefined);
    if (recovery !== undefined) {
      const codeHash = recoveryHash(user, recovery);
      return user.mfa.recoveryCodeHashes.includes(codeHash) ? { method: 'recovery', codeHash } : null;
    }
    const step = matchedStep(user.mfa.secret, given.code!, now());
    return step === null ? null : { method: 'totp', step };
  }

  function oneFactor(given: { code?: string; recoveryCode?: string }): void {
    if ((given.code === undefined) === (given.recoveryCode === undefined))
      throw invalidFields([{ field: 'code', message: 'give either code or recoveryCode' }]);
  }

  /** Spends the proof on the user's stream; a step seen already (a replay) is the same 401 as a wrong code. */
  async function spend(run: () => Promise<unknown>): Promise<void> {
    await run().catch((error: unknown) => {
      if (error instanceof DomainError && (error.code === 'conflict' || error.code === 'invalid')) throw wrongCode();
      throw error;
    });
  }

  /** Counts an attempt against the login limits of the account (and the address). */
  async function attempt(user: UserState, req: Request, res: Response) {
    const account = resources.emailKey(user.email ?? user.userId!);
    const ip = clientAddressOf(req) ?? 'unknown';
    await limited(() => resources.loginLimiter.consume(account, ip), res);
    return { succeed: () => resources.loginLimiter.succeed(account, ip) };
  }

  return [
    operation({
      operationId: 'startTotpEnrolment',
      method: 'post',
      path: '/auth/mfa/totp',
      tags,
      summary: 'Start TOTP enrolment: a new secret, as an otpauth:// URL and a QR code for an authenticator app',
      description:
        'Multi-factor sign-in is on only once a code from the app confirms it (POST /auth/mfa/totp/confirm). Starting again replaces a secret not confirmed yet.',
      access: 'signed-in',
      headers: ['Idempotency-Key'],
      storedAnswer: enrolmentAnswer,
      answers: {
        201: {
          description: 'Scan the QR code (or type the secret), then confirm with a code',
          schema: commandAnswer(
            z.object({
              secret: z.string().describe('Base32'),
              otpauthUrl: z.string(),
              qrCode: z.string().describe('A data: URL of a PNG of otpauthUrl'),
            }),
          ),
        },
        409: { description: 'Multi-factor sign-in is on already', problem: true },
      },
      async handler(req, res) {
        const caller = authOf(res);
        const user = (await handler.load(users, userStream(caller.tenantId, caller.userId))).state;
        if (!user.exists) throw notFound('user');
        const secret = newTotpSecret();
        const result = await handler.execute(
          users,
          userStream(caller.tenantId, caller.userId),
          { type: 'StartTotpEnrolment', secret, now: now().toISOString() },
          commandContext(req, res),
          { expect: 'existing' },
        );
        sendCommandResult(res, 201, await enrolmentOf(secret, user.email ?? caller.userId), result);
      },
    }),
    operation({
      operationId: 'confirmTotpEnrolment',
      method: 'post',
      path: '/auth/mfa/totp/confirm',
      tags,
      summary: 'Confirm TOTP enrolment with a code from the app; answers ten recovery codes, shown this once',
      description:
        'Each recovery code signs in once in place of a TOTP code (POST /auth/mfa/verify with recoveryCode). Only keyed hashes of them are kept.',
      access: 'signed-in',
      headers: ['Idempotency-Key'],
      storedAnswer: recoveryAnswer,
      body: z.strictObject({ code: z.string().regex(/^\d{6}$/, 'six digits') }),
      answers: {
        200: {
          description: 'Multi-factor sign-in is on',
          schema: commandAnswer(z.object({ recoveryCodes: z.array(z.string()) })),
        },
        409: { description: 'Multi-factor sign-in is on already', problem: true },
        422: { description: 'No enrolment started, or the code does not match', problem: true },
      },
      async handler(req, res) {
        const caller = authOf(res);
        const stream = userStream(caller.tenantId, caller.userId);
        const user = (await handler.load(users, stream)).state;
        if (!user.exists) throw notFound('user');
        if (user.mfa) throw new DomainError('conflict', 'Multi-factor sign-in is on already');
        if (!user.pendingTotp)
          throw new DomainError('invalid', 'Start the enrolment first: POST /auth/mfa/totp', 'code');
        const step = matchedStep(user.pendingTotp.secret, req.body.code, now());
        if (step === null)
          throw new DomainError('invalid', 'The code does not match: check the app and the clock', 'code');
        const recoveryCodes = newRecoveryCodes();
        const result = await handler.execute(
          users,
          stream,
          {
            type: 'ConfirmTotp',
            step,
            recoveryCodeHashes: recoveryCodes.map((code) => recoveryHash(user, code)),
            now: now().toISOString(),
          },
          commandContext(req, res),
          { expect: 'existing', retriesOnConflict: 0 },
        );
        sendCommandResult(res, 200, { recoveryCodes }, result);
      },
    }),
    operation({
      operationId: 'disableTotp',
      method: 'delete',
      path: '/auth/mfa/totp',
      tags,
      summary: 'Turn multi-factor sign-in off, with a fresh second factor (a current TOTP code or a recovery code)',
      access: 'signed-in',
      headers: ['Idempotency-Key'],
      body: z.strictObject({ code: Code.optional(), recoveryCode: RecoveryCode.optional() }),
      answers: {
        204: { description: 'Multi-factor sign-in is off; the recovery codes no longer work' },
        401: { description: 'Wrong, expired or used code', problem: true },
        422: { description: 'Multi-factor sign-in is not on', problem: true },
        429: tooMany,
      },
      async handler(req, res) {
        const caller = authOf(res);
        oneFactor(req.body);
        const stream = userStream(caller.tenantId, caller.userId);
        const user = (await handler.load(users, stream)).state;
        if (!user.exists) throw notFound('user');
        if (!user.mfa) throw new DomainError('invalid', 'Multi-factor sign-in is not on', 'code');
        const limit = await attempt(user, req, res);
        const proof = proofOf(user, req.body);
        if (!proof) throw wrongCode();
        await spend(() =>
          handler.execute(
            users,
            stream,
            { type: 'DisableTotp', proof, now: now().toISOString() },
            commandContext(req, res),
            { expect: 'existing' },
          ),
        );
        await limit.succeed();
        res.status(204).end();
      },
    }),
    operation({
      operationId: 'verifyMfa',
      method: 'post',
      path: '/auth/mfa/verify',
      tags,
      summary:
        "The second step of a login: the challenge and a TOTP code (or a recovery code) for the session's tokens",
      description:
        'Each wrong code counts against the login limits of the account, as a wrong password does. A challenge gives one session; a code, or a recovery code, works once.',
      access: 'public',
      headers: ['Idempotency-Key'],
      body: z.strictObject({ challenge: Token, code: Code.optional(), recoveryCode: RecoveryCode.optional() }),
      answers: {
        200: { description: 'Logged in', schema: tokenAnswer },
        401: { description: 'Unknown or expired challenge, or a wrong, expired or used code', problem: true },
        403: { description: "The user's organisation is suspended", problem: true },
        429: tooMany,
      },
      async handler(req, res) {
        oneFactor(req.body);
        const challengeHash = hashToken(req.body.challenge);
        const expired = () =>
          new HttpProblem(
            401,
            'invalid-mfa-challenge',
            'Invalid challenge',
            'The challenge is unknown, expired or used. Log in again.',
            { errors: [{ field: 'challenge', message: 'unknown, expired or used' }] },
          );
        const subject = await resources.sessions.findChallenge(challengeHash);
        if (!subject) throw expired();
        const stream = userStream(subject.tenantId, subject.userId);
        const user = (await handler.load(users, stream)).state;
        if (!user.active || !user.mfa) throw expired();
        const limit = await attempt(user, req, res);
        const proof = proofOf(user, req.body);
        if (!proof) throw wrongCode();
        await spend(() =>
          handler.execute(
            users,
            stream,
            { type: 'UseSecondFactor', proof, now: now().toISOString() },
            contextOf(req, subject.tenantId, subject.userId),
            { expect: 'existing' },
          ),
        );
        if (!(await resources.sessions.consumeChallenge(challengeHash))) throw expired();
        await limit.succeed();
        res.json({ data: await startSession(req, user), meta: {} });
      },
    }),
  ];
}
