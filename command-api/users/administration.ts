import { randomUUID } from 'node:crypto';
import {
  emailStream,
  organizationDecider,
  organizationStream,
  SYSTEM_TENANT,
} from '../../domain/accounts/organization.js';
import { isClientScoped, type Role } from '../../domain/accounts/roles.js';
import { userStream, type UserEvent, type UserState } from '../../domain/accounts/user.js';
import { clientDecider, clientStream } from '../../domain/clients/client.js';
import { DomainError } from '../../domain/decider.js';
import { opaqueToken } from '../../infrastructure/auth/tokens.js';
import type { IfMatch } from '../../infrastructure/http/contract/etag.js';
import { HttpProblem, notFound } from '../../infrastructure/http/problem.js';
import type { Resources } from '../../infrastructure/runtime/resources.js';
import type { CommandContext, CommandHandler, CommandResult } from '../http/command-handler.js';
import { invitationMail } from '../mail/templates.js';
import { accountToken, emails, showLinkWithoutSmtp, users } from '../auth/accounts.js';

const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

/** Who manages users: a signed-in administrator, or the ledger's operator (`ledger users`), who has no client. */
export interface UserAdministrator {
  userId: string;
  tenantId: string;
  clientId: string | null;
}

/** The actor id the operator's command line records in event metadata (and in invitedBy, changedBy). */
export const SYSTEM_OPERATOR = 'system-operator';

/**
 * Who may hand out which role: an MSP administrator any role; a client administrator only client roles, for its own
 * client. Nobody changes their own role or account from here.
 */
function checkGrant(actor: UserAdministrator, role: Role, clientId: string | null): void {
  if (actor.clientId === null) return;
  if (!isClientScoped(role))
    throw new HttpProblem(403, 'forbidden', 'Forbidden', `A client administrator cannot grant the ${role} role.`);
  if (clientId !== actor.clientId)
    throw new DomainError('invalid', 'You can only manage users of your own client', 'clientId');
}

type UserResult = CommandResult<UserEvent, UserState>;

/**
 * Inviting users, changing their roles, deactivating them: what the API's routes (operations.ts) and the operator's
 * command line (cli/commands/users.ts) both do, through the same commands and checks.
 */
export function userAdministration(resources: Resources, handler: CommandHandler, now: () => Date = () => new Date()) {
  const refreshTtl = resources.config.REFRESH_TOKEN_TTL_SECONDS;

  /** Loads a user of the actor's tenant that the actor may manage; anything else is a 404. */
  async function manageable(actor: UserAdministrator, userId: string) {
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

  /** Invites a user and mails the 7-day link; answers the link too (the command line prints it). */
  async function invite(
    actor: UserAdministrator,
    input: { email: string; role: Role; clientId: string | null },
    context: CommandContext,
  ): Promise<{ userId: string; link: string; result: UserResult }> {
    const { email, role, clientId } = input;
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
      return { userId, link, result };
    } catch (error) {
      if (claimed) {
        await handler
          .execute(emails, addressStream, { type: 'ReleaseEmail', userId }, { ...context, tenantId: SYSTEM_TENANT })
          .catch(() => {});
      }
      throw error;
    }
  }

  /** Changes a user's role (and client scope); their sessions end so that the new role applies at once. */
  async function changeRole(
    actor: UserAdministrator,
    userId: string,
    input: { role: Role; clientId: string | null },
    context: CommandContext,
    ifMatch?: IfMatch,
  ): Promise<UserResult> {
    const { role, clientId } = input;
    await manageable(actor, userId);
    checkGrant(actor, role, clientId);
    await requireActiveClient(actor.tenantId, clientId);
    const result = await handler.execute(
      users,
      userStream(actor.tenantId, userId),
      { type: 'ChangeRole', role, clientId, changedBy: actor.userId },
      context,
      { ifMatch },
    );
    // The new role applies at once: the user's current tokens carry the old one.
    if (result.events.length > 0) await resources.sessions.revokeUser(userId, refreshTtl);
    return result;
  }

  /** Deactivates a user: they can no longer log in, and their sessions end. */
  async function deactivate(
    actor: UserAdministrator,
    userId: string,
    context: CommandContext,
    ifMatch?: IfMatch,
  ): Promise<UserResult> {
    await manageable(actor, userId);
    const result = await handler.execute(
      users,
      userStream(actor.tenantId, userId),
      { type: 'DeactivateUser', reason: null },
      context,
      { ifMatch },
    );
    await resources.sessions.revokeUser(userId, refreshTtl);
    return result;
  }

  return { manageable, invite, changeRole, deactivate };
}
