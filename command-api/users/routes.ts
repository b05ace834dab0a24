import { randomUUID } from 'node:crypto';
import express, { type Router } from 'express';
import { isClientScoped, type Role } from '../../domain/accounts/roles.js';
import { organizationDecider } from '../../domain/accounts/organization.js';
import { clientDecider } from '../../domain/clients/client.js';
import { DomainError } from '../../domain/decider.js';
import { hashPassword } from '../../infrastructure/auth/passwords.js';
import { opaqueToken } from '../../infrastructure/auth/tokens.js';
import { authOf, requirePermission, type Authenticated } from '../../infrastructure/http/authentication.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import type { Resources } from '../../infrastructure/runtime/resources.js';
import {
  SYSTEM_TENANT,
  accountToken,
  contextOf,
  emails,
  onTokenAccount,
  parseAccountToken,
  showLinkWithoutSmtp,
  userStream,
  users,
} from '../auth/routes.js';
import { clientStream } from '../../domain/clients/client.js';
import { commandContext } from '../http/context.js';
import type { CommandContext, CommandHandler } from '../http/command-handler.js';
import { ifMatchOf, sendCommandResult } from '../http/responses.js';
import { invitationMail } from '../mail/templates.js';

const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

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

/** The public part: accepting an invitation needs no account yet. */
export function invitationAcceptance(
  resources: Resources,
  handler: CommandHandler,
  now: () => Date = () => new Date(),
): Router {
  const router = express.Router();

  /** Makes the address this user's, unless it is already; an address another account holds is a 409. */
  async function claimAddress(email: string, userId: string, tenantId: string, context: CommandContext): Promise<void> {
    const stream = `${SYSTEM_TENANT}/email/${resources.emailKey(email)}`;
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

  router.post('/users/accept-invite', async (req, res) => {
    const { token, name, password } = req.body as { token: string; name: string; password: string };
    const { tenantId, userId, secretHash } = parseAccountToken(token, 'invitation');
    const passwordHash = await hashPassword(password);
    const accept = {
      type: 'AcceptInvitation' as const,
      tokenHash: secretHash,
      name,
      passwordHash,
      now: now().toISOString(),
    };
    let position = null;
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
        {
          expect: 'existing',
        },
      );
      position = result.position;
    }, 'invitation');
    res.json({ data: { userId }, meta: { position } });
  });
  return router;
}

/** Mounted at /users, behind authentication. */
export function userRoutes(resources: Resources, handler: CommandHandler, now: () => Date = () => new Date()): Router {
  const router = express.Router();

  /** Loads a user of the caller's tenant that the caller may manage; anything else is a 404. */
  async function manageable(actor: Authenticated, userId: string) {
    if (userId === actor.userId)
      throw new HttpProblem(403, 'forbidden', 'Forbidden', 'You cannot change your own role or account here.');
    const loaded = await handler.load(users, userStream(actor.tenantId, userId));
    const outOfScope = actor.clientId !== null && loaded.state.clientId !== actor.clientId;
    if (!loaded.state.exists || outOfScope) throw new HttpProblem(404, 'not-found', 'Not found', 'No such user.');
    return loaded;
  }

  async function requireActiveClient(tenantId: string, clientId: string | null): Promise<void> {
    if (!clientId) return;
    const { state } = await handler.load({ decider: clientDecider }, clientStream(tenantId, clientId));
    // The same answer as every route that names a client: another tenant's, or none at all, is a 404.
    if (state.status !== 'active') {
      throw new HttpProblem(404, 'not-found', 'Not found', 'No such active client.', {
        errors: [{ field: 'clientId', message: 'no such active client' }],
      });
    }
  }

  router.post('/invite', requirePermission('user:write'), async (req, res) => {
    const actor = authOf(res);
    const context = commandContext(req, res);
    const { email, role } = req.body as { email: string; role: Role; clientId?: string };
    const clientId = (req.body as { clientId?: string }).clientId ?? null;
    checkGrant(actor, role, clientId);
    await requireActiveClient(actor.tenantId, clientId);
    const userId = randomUUID();
    const emailStream = `${SYSTEM_TENANT}/email/${resources.emailKey(email)}`;
    // Whether an address has an account elsewhere must not show: the invitation is made and mailed the same way,
    // and the address is claimed when it is accepted (its owner, who gets the mail, learns it there). An address
    // that is already a user of the inviter's own organization is said so: that the MSP can see for itself.
    const owner = (await handler.load(emails, emailStream)).state.owner;
    if (owner?.tenantId === actor.tenantId) {
      throw new DomainError('conflict', 'This address already belongs to a user of your organization', 'email');
    }
    const claimed =
      !owner &&
      (await handler
        .execute(
          emails,
          emailStream,
          { type: 'ClaimEmail', userId, tenantId: actor.tenantId },
          {
            ...context,
            tenantId: SYSTEM_TENANT,
          },
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
        (await handler.load({ decider: organizationDecider }, `${actor.tenantId}/organization/${actor.tenantId}`)).state
          .name ?? 'Your MSP';
      const link = resources.publicUrl.link(
        `/accept-invite?token=${accountToken(actor.tenantId, userId, invitation.token)}`,
      );
      await resources.mailer.send(invitationMail(email, organization, role, link));
      showLinkWithoutSmtp(resources.config.SMTP_URL, `Invitation for ${email}`, link);
      sendCommandResult(res, 201, { userId }, result);
    } catch (error) {
      if (claimed) {
        await handler
          .execute(emails, emailStream, { type: 'ReleaseEmail', userId }, { ...context, tenantId: SYSTEM_TENANT })
          .catch(() => {});
      }
      throw error;
    }
  });

  router.put('/:id/role', requirePermission('user:write'), async (req, res) => {
    const actor = authOf(res);
    const userId = String(req.params.id);
    const { role } = req.body as { role: Role };
    const clientId = (req.body as { clientId?: string }).clientId ?? null;
    await manageable(actor, userId);
    checkGrant(actor, role, clientId);
    await requireActiveClient(actor.tenantId, clientId);
    const result = await handler.execute(
      users,
      userStream(actor.tenantId, userId),
      { type: 'ChangeRole', role, clientId, changedBy: actor.userId },
      commandContext(req, res),
      {
        ifMatch: ifMatchOf(req),
      },
    );
    // The new role applies at once: the user's current tokens carry the old one.
    if (result.events.length > 0)
      await resources.sessions.revokeUser(userId, resources.config.REFRESH_TOKEN_TTL_SECONDS);
    sendCommandResult(res, 200, { userId, role }, result);
  });

  router.delete('/:id', requirePermission('user:write'), async (req, res) => {
    const actor = authOf(res);
    const userId = String(req.params.id);
    await manageable(actor, userId);
    const result = await handler.execute(
      users,
      userStream(actor.tenantId, userId),
      { type: 'DeactivateUser', reason: null },
      commandContext(req, res),
      { ifMatch: ifMatchOf(req) },
    );
    await resources.sessions.revokeUser(userId, resources.config.REFRESH_TOKEN_TTL_SECONDS);
    sendCommandResult(res, 200, { userId, status: 'deactivated' }, result);
  });

  /** Right to erasure: the user's key is destroyed, so their personal data in every event reads back as erased. */
  router.post('/:id/erase', requirePermission('user:write'), async (req, res) => {
    const actor = authOf(res);
    const userId = String(req.params.id);
    const { state } = await manageable(actor, userId);
    const context = commandContext(req, res);
    const result = await handler.execute(
      users,
      userStream(actor.tenantId, userId),
      { type: 'EraseUser', erasedBy: actor.userId },
      context,
    );
    await resources.sessions.revokeUser(userId, resources.config.REFRESH_TOKEN_TTL_SECONDS);
    if (state.email && state.status !== 'erased') {
      await handler.execute(
        emails,
        `${SYSTEM_TENANT}/email/${resources.emailKey(state.email)}`,
        { type: 'ReleaseEmail', userId },
        { ...context, tenantId: SYSTEM_TENANT },
      );
    }
    await resources.vault.erase(actor.tenantId, userId);
    sendCommandResult(res, 200, { userId, status: 'erased' }, result);
  });

  return router;
}
