import { z } from 'zod';
import { userStream } from '../../domain/accounts/user.js';
import { hashPassword, verifyPassword } from '../../infrastructure/auth/passwords.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { clientAddressOf } from '../../infrastructure/http/client-address.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { Id, page, Paging, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import { HttpProblem, notFound } from '../../infrastructure/http/problem.js';
import { deviceOf } from '../../infrastructure/http/user-agent.js';
import type { Resources } from '../../infrastructure/runtime/resources.js';
import type { CommandHandler } from '../http/command-handler.js';
import { commandContext } from '../http/context.js';
import { limited, Password, users } from './accounts.js';

const tags = ['auth'] as const;

const SessionItem = z.object({
  sessionId: Id,
  device: z.string().describe('Read from the User-Agent of the login, roughly ("Firefox on Linux")'),
  userAgent: z.string().nullable(),
  address: z.string().nullable().describe('The address the login came from'),
  createdAt: Timestamp,
  lastUsedAt: Timestamp.describe('The newest refresh of the session, or its login'),
  current: z.boolean().describe('The session of the access token that asks'),
});

/** The caller's own account: their password and their sessions. */
export function sessionCommands(resources: Resources, handler: CommandHandler, now: () => Date = () => new Date()) {
  const { sessions } = resources;
  const refreshTtl = resources.config.REFRESH_TOKEN_TTL_SECONDS;

  return [
    operation({
      operationId: 'changePassword',
      method: 'post',
      path: '/auth/password',
      tags,
      summary: 'Change your own password; every other session of yours ends, this one goes on',
      access: 'signed-in',
      headers: ['Idempotency-Key'],
      body: z.strictObject({ currentPassword: z.string().min(1).max(256), newPassword: Password }),
      answers: {
        204: { description: 'Changed' },
        401: { description: 'The current password is wrong', problem: true },
        429: { description: 'Too many attempts; see Retry-After', problem: true },
      },
      async handler(req, res) {
        const caller = authOf(res);
        const stream = userStream(caller.tenantId, caller.userId);
        const user = (await handler.load(users, stream)).state;
        if (!user.exists) throw notFound('user');
        // A stolen access token must not be a way to guess the password: the login limits count these too.
        const account = resources.emailKey(user.email ?? caller.userId);
        const ip = clientAddressOf(req) ?? 'unknown';
        await limited(() => resources.loginLimiter.consume(account, ip), res);
        if (!(await verifyPassword(user.passwordHash ?? '', req.body.currentPassword)))
          throw new HttpProblem(401, 'invalid-credentials', 'Wrong password', 'The current password is wrong.', {
            errors: [{ field: 'currentPassword', message: 'wrong password' }],
          });
        await resources.loginLimiter.succeed(account, ip);
        const passwordHash = await hashPassword(req.body.newPassword);
        await handler.execute(
          users,
          stream,
          { type: 'ChangePassword', passwordHash, now: now().toISOString() },
          commandContext(req, res),
          { expect: 'existing' },
        );
        await sessions.revokeUser(caller.userId, refreshTtl, { except: caller.sessionId });
        res.status(204).end();
      },
    }),
    operation({
      operationId: 'listSessions',
      method: 'get',
      path: '/auth/sessions',
      tags,
      summary: 'Your sessions: device, address, when they began and were last used',
      access: 'signed-in',
      query: Paging,
      answers: { 200: { description: 'Your live sessions, newest first', schema: page(SessionItem) } },
      async handler(req, res) {
        const caller = authOf(res);
        const { page: number, size } = req.query;
        const all = await sessions.list(caller.userId);
        res.json({
          data: all.slice((number - 1) * size, number * size).map((session) => ({
            sessionId: session.familyId,
            device: deviceOf(session.userAgent),
            userAgent: session.userAgent,
            address: session.address,
            createdAt: session.createdAt,
            lastUsedAt: session.lastUsedAt,
            current: session.familyId === caller.sessionId,
          })),
          meta: { total: all.length, page: number, size, pages: Math.ceil(all.length / size) },
        });
      },
    }),
    operation({
      operationId: 'endSession',
      method: 'delete',
      path: '/auth/sessions/{sessionId}',
      tags,
      summary: 'End one of your sessions (this one too, if you name it): its tokens stop working at once',
      access: 'signed-in',
      headers: ['Idempotency-Key'],
      params: z.object({ sessionId: Id }),
      answers: {
        204: { description: 'Ended' },
        404: { description: 'No such session of yours', problem: true },
      },
      async handler(req, res) {
        const caller = authOf(res);
        const own = await sessions.list(caller.userId);
        // Another user's session is the same 404 as one that does not exist.
        if (!own.some((session) => session.familyId === req.params.sessionId)) throw notFound('session');
        await sessions.revoke(req.params.sessionId, refreshTtl);
        res.status(204).end();
      },
    }),
  ];
}
