import { z } from 'zod';
import { emailStream, SYSTEM_TENANT } from '../../domain/accounts/organization.js';
import { ROLES } from '../../domain/accounts/roles.js';
import { userStream } from '../../domain/accounts/user.js';
import { DomainError } from '../../domain/decider.js';
import { hashPassword } from '../../infrastructure/auth/passwords.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { commandAnswer, Id } from '../../infrastructure/http/contract/schemas.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import type { Position } from '../../infrastructure/event-store/position.js';
import type { Resources } from '../../infrastructure/runtime/resources.js';
import type { CommandContext, CommandHandler } from '../http/command-handler.js';
import { commandContext } from '../http/context.js';
import { ifMatchOf, sendCommandResult } from '../http/responses.js';
import {
  contextOf,
  Email,
  emails,
  onTokenAccount,
  parseAccountToken,
  Password,
  PersonName,
  Token,
  users,
} from '../auth/accounts.js';
import { userAdministration } from './administration.js';

const UserPath = z.object({ id: Id });
const write = { permission: 'user:write' } as const;
const tags = ['users'] as const;
const noSuchUser = { description: 'No such user in your tenant', problem: true } as const;

/** Inviting users, accepting invitations, and managing roles and accounts (erasure too). */
export function userCommands(resources: Resources, handler: CommandHandler, now: () => Date = () => new Date()) {
  const refreshTtl = resources.config.REFRESH_TOKEN_TTL_SECONDS;
  const administration = userAdministration(resources, handler, now);
  const { manageable } = administration;

  /** Makes the address this user's, unless it is already; an address another account holds is a 409. */
  async function claimAddress(email: string, userId: string, tenantId: string, context: CommandContext): Promise<void> {
    const stream = emailStream(resources.emailKey(email));
    const { owner } = (await handler.load(emails, stream)).state;
    if (owner?.userId === userId) return;
    if (!owner) {
      const claimed = await handler.execute(emails, stream, { type: 'ClaimEmail', userId, tenantId }, context).then(
        () => true,
        () => false,
      );
      if (claimed) return;
    }
    throw new HttpProblem(
      409,
      'address-has-an-account',
      'This address already has an account',
      'One address belongs to one Compliance Ledger account, and this one already has one: log in with it, or ask to be invited with another address.',
      { errors: [{ field: 'token', message: 'the invited address already has an account' }] },
    );
  }

  return [
    operation({
      operationId: 'inviteUser',
      method: 'post',
      path: '/users/invite',
      tags,
      summary: 'Invite a user with a role, scoped to the MSP or to one client; mails a 7-day link',
      access: write,
      headers: ['Idempotency-Key'],
      body: z.strictObject({ email: Email, role: z.enum(ROLES), clientId: Id.optional() }),
      answers: {
        201: { description: 'Invited', schema: commandAnswer(z.object({ userId: Id })) },
        404: { description: 'No such active client', problem: true },
        409: { description: 'An account with this email exists', problem: true },
        422: { description: 'The command cannot be carried out', problem: true },
      },
      async handler(req, res) {
        const { email, role } = req.body;
        const { userId, result } = await administration.invite(
          authOf(res),
          { email, role, clientId: req.body.clientId ?? null },
          commandContext(req, res),
        );
        sendCommandResult(res, 201, { userId }, result);
      },
    }),
    operation({
      operationId: 'acceptInvite',
      method: 'post',
      path: '/users/accept-invite',
      tags,
      summary: 'Accept an invitation: choose a name and a password',
      access: 'public',
      headers: ['Idempotency-Key'],
      body: z.strictObject({ token: Token, name: PersonName, password: Password }),
      answers: {
        200: { description: 'Accepted; log in', schema: commandAnswer(z.object({ userId: Id })) },
        409: { description: 'The invited address already has an account', problem: true },
        410: { description: 'The invitation has expired', problem: true },
        422: { description: 'The invitation is not valid', problem: true },
      },
      async handler(req, res) {
        const { token, name, password } = req.body;
        const { tenantId, userId, secretHash } = parseAccountToken(token, 'invitation');
        const passwordHash = await hashPassword(password);
        const accept = {
          type: 'AcceptInvitation' as const,
          tokenHash: secretHash,
          name,
          passwordHash,
          now: now().toISOString(),
        };
        let position: Position | null = null;
        await onTokenAccount(async () => {
          // The address is this user's once the invitation is accepted: claimed now if it was not at the invitation
          // (it had an account elsewhere then). The token is checked first, so that only its holder learns the answer.
          const invited = await handler.load(users, userStream(tenantId, userId));
          if (invited.revision === 'no_stream') throw new DomainError('not_found', 'No such invitation');
          users.decider.decide(accept, invited.state);
          await claimAddress(invited.state.email!, userId, tenantId, contextOf(req, SYSTEM_TENANT, userId));
          const result = await handler.execute(
            users,
            userStream(tenantId, userId),
            accept,
            contextOf(req, tenantId, userId),
            { expect: 'existing' },
          );
          position = result.position;
        }, 'invitation');
        res.json({ data: { userId }, meta: { position } });
      },
    }),
    operation({
      operationId: 'changeUserRole',
      method: 'put',
      path: '/users/{id}/role',
      tags,
      summary: "Change a user's role (and client scope); their sessions end so the new role applies at once",
      access: write,
      headers: ['If-Match', 'Idempotency-Key'],
      params: UserPath,
      body: z.strictObject({ role: z.enum(ROLES), clientId: Id.optional() }),
      answers: {
        200: { description: 'Changed', schema: commandAnswer(z.object({ userId: Id, role: z.enum(ROLES) })) },
        404: noSuchUser,
        422: { description: 'The command cannot be carried out', problem: true },
      },
      async handler(req, res) {
        const userId = req.params.id;
        const { role } = req.body;
        const result = await administration.changeRole(
          authOf(res),
          userId,
          { role, clientId: req.body.clientId ?? null },
          commandContext(req, res),
          ifMatchOf(req),
        );
        sendCommandResult(res, 200, { userId, role }, result);
      },
    }),
    operation({
      operationId: 'deactivateUser',
      method: 'delete',
      path: '/users/{id}',
      tags,
      summary: 'Deactivate a user: they can no longer log in, and their sessions end',
      access: write,
      headers: ['If-Match', 'Idempotency-Key'],
      params: UserPath,
      answers: {
        200: {
          description: 'Deactivated',
          schema: commandAnswer(z.object({ userId: Id, status: z.literal('deactivated') })),
        },
        404: noSuchUser,
      },
      async handler(req, res) {
        const userId = req.params.id;
        const result = await administration.deactivate(authOf(res), userId, commandContext(req, res), ifMatchOf(req));
        sendCommandResult(res, 200, { userId, status: 'deactivated' }, result);
      },
    }),
    operation({
      operationId: 'eraseUser',
      method: 'post',
      path: '/users/{id}/erase',
      tags,
      summary: 'Erase a data subject: their key is destroyed, and their personal data reads back as erased everywhere',
      access: write,
      headers: ['Idempotency-Key'],
      params: UserPath,
      answers: {
        200: { description: 'Erased', schema: commandAnswer(z.object({ userId: Id, status: z.literal('erased') })) },
        404: noSuchUser,
      },
      /** Right to erasure: the user's key is destroyed, so their personal data in every event reads back as erased. */
      async handler(req, res) {
        const actor = authOf(res);
        const userId = req.params.id;
        const { state } = await manageable(actor, userId);
        const context = commandContext(req, res);
        const result = await handler.execute(
          users,
          userStream(actor.tenantId, userId),
          { type: 'EraseUser', erasedBy: actor.userId },
          context,
        );
        await resources.sessions.revokeUser(userId, refreshTtl);
        if (state.email && state.status !== 'erased') {
          await handler.execute(
            emails,
            emailStream(resources.emailKey(state.email)),
            { type: 'ReleaseEmail', userId },
            { ...context, tenantId: SYSTEM_TENANT },
          );
        }
        await resources.vault.erase(actor.tenantId, userId);
        sendCommandResult(res, 200, { userId, status: 'erased' }, result);
      },
    }),
  ];
}
