import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  emailStream,
  organizationDecider,
  organizationStream,
  SYSTEM_TENANT,
} from '../../domain/accounts/organization.js';
import { isClientScoped, ROLES, type Role } from '../../domain/accounts/roles.js';
import { userStream } from '../../domain/accounts/user.js';
import { clientDecider, clientStream } from '../../domain/clients/client.js';
import { DomainError } from '../../domain/decider.js';
import { hashPassword } from '../../infrastructure/auth/passwords.js';
import { opaqueToken } from '../../infrastructure/auth/tokens.js';
import { authOf, type Authenticated } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { commandAnswer, Id } from '../../infrastructure/http/contract/schemas.js';
import { HttpProblem, notFound } from '../../infrastructure/http/problem.js';
import type { Position } from '../../infrastructure/event-store/position.js';
import type { Resources } from '../../infrastructure/runtime/resources.js';
import type { CommandContext, CommandHandler } from '../http/command-handler.js';
import { commandContext } from '../http/context.js';
import { ifMatchOf, sendCommandResult } from '../http/responses.js';
import { invitationMail } from '../mail/templates.js';
import {
  accountToken,
  contextOf,
  Email,
  emails,
  onTokenAccount,
  parseAccountToken,
  Password,
  PersonName,
  showLinkWithoutSmtp,
  Token,
  users,
} from '../auth/accounts.js';

const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

const UserPath = z.object({ id: Id });
const write = { permission: 'user:write' } as const;
const tags = ['users'] as const;
const noSuchUser = { description: 'No such user in your tenant', problem: true } as const;

/**
 * Who may hand out which role: an MSP administrator any role; a client administrator only client roles, for its own
 * client. Nobody changes their own role or account from here.
 */
function checkGrant(actor: Authenticated, role: Role, clientId: string | null): void {
  if (actor.clientId === null) return;
  if (!isClientScoped(role))
    throw new HttpProblem(403, 'forbidden', 'Forbidden', `A client administrator cannot grant the ${role} role.`);
  if (clientId !== actor.clientId)
    throw new DomainError('invalid', 'You can only manage users of your own client', 'clientId');
}

/** Inviting users, accepting invitations, and managing roles and accounts (erasure too). */
export function userCommands(resources: Resources, handler: CommandHandler, now: () => Date = () => new Date()) {
  const refreshTtl = resources.config.REFRESH_TOKEN_TTL_SECONDS;

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

  /** Loads a user of the caller's tenant that the caller may manage; anything else is a 404. */
  async function manageable(actor: Authenticated, userId: string) {
    if (userId === actor.userId)
      throw new HttpProblem(403, 'forbidden', 'Forbidden', 'You cannot change your own role or account here.');
    const loaded = await handler.load(users, userStream(actor.tenantId, userId));
    const outOfScope = actor.clientId !== null && loaded.state.clientId !== actor.clientId;
    if (!loaded.state.exists || outOfScope) throw notFound('user');
    return loaded;
  }

  async function requireActiveClient(tenantId: string, clientId: string | null): Promise<void> {
    if (!clientId) return;
    const { state } = await handler.load({ decider: clientDecider }, clientStream(tenantId, clientId));
    // The same answer as every route that names a client: another tenant's, or none at all, is a 404.
    if (state.status !== 'active') {
      throw notFound('active client', 'clientId');
    }
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
        const actor = authOf(res);
        const context = commandContext(req, res);
        const { email, role } = req.body;
        const clientId = req.body.clientId ?? null;
        checkGrant(actor, role, clientId);
        await requireActiveClient(actor.tenantId, clientId);
        const userId = randomUUID();
        const addressStream = emailStream(resources.emailKey(email));
        // Whether an address has an account elsewhere must not show: the invitation is made and mailed the same way,
        // and the address is claimed when it is accepted (its owner, who gets the mail, learns it there). An address
        // that is already a user of the inviter's own organization is said so: that the MSP can see for itself.
        const owner = (await handler.load(emails, addressStream)).state.owner;
        if (owner?.tenantId === actor.tenantId) {
          throw new DomainError('conflict', 'This address already belongs to a user of your organization', 'email');
        }
        const claimed =
          !owner &&
          (await handler
            .execute(
              emails,
              addressStream,
              { type: 'ClaimEmail', userId, tenantId: actor.tenantId },
              { ...context, tenantId: SYSTEM_TENANT },
            )
            .then(
              () => true,
              (error: unknown) => {
                if (error instanceof DomainError && error.code === 'conflict') return false; // claimed meanwhile
                throw error;
              },
            ));
        try {
          const invitation = opaqueToken();
          const result = await handler.execute(
            users,
            userStream(actor.tenantId, userId),
            {
              type: 'InviteUser',
              userId,
              tenantId: actor.tenantId,
              email: email.trim().toLowerCase(),
              role,
              clientId,
              invitedBy: actor.userId,
              invitation: {
                tokenHash: invitation.hash,
                expiresAt: new Date(now().getTime() + INVITATION_TTL_MS).toISOString(),
              },
            },
            context,
            { expect: 'new' },
          );
          const organization =
            (await handler.load({ decider: organizationDecider }, organizationStream(actor.tenantId))).state.name ??
            'Your MSP';
          const link = resources.publicUrl.link(
            `/accept-invite?token=${accountToken(actor.tenantId, userId, invitation.token)}`,
          );
          await resources.mailer.send(invitationMail(email, organization, role, link));
          showLinkWithoutSmtp(resources.config.SMTP_URL, `Invitation for ${email}`, link);
          sendCommandResult(res, 201, { userId }, result);
        } catch (error) {
          if (claimed) {
            await handler
              .execute(emails, addressStream, { type: 'ReleaseEmail', userId }, { ...context, tenantId: SYSTEM_TENANT })
              .catch(() => {});
          }
          throw error;
        }
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
        const actor = authOf(res);
        const userId = req.params.id;
        const { role } = req.body;
        const clientId = req.body.clientId ?? null;
        await manageable(actor, userId);
        checkGrant(actor, role, clientId);
        await requireActiveClient(actor.tenantId, clientId);
        const result = await handler.execute(
          users,
          userStream(actor.tenantId, userId),
          { type: 'ChangeRole', role, clientId, changedBy: actor.userId },
          commandContext(req, res),
          { ifMatch: ifMatchOf(req) },
        );
        // The new role applies at once: the user's current tokens carry the old one.
        if (result.events.length > 0) await resources.sessions.revokeUser(userId, refreshTtl);
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
        const actor = authOf(res);
        const userId = req.params.id;
        await manageable(actor, userId);
        const result = await handler.execute(
          users,
          userStream(actor.tenantId, userId),
          { type: 'DeactivateUser', reason: null },
          commandContext(req, res),
          { ifMatch: ifMatchOf(req) },
        );
        await resources.sessions.revokeUser(userId, refreshTtl);
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
