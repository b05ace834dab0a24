import { randomBytes, randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import {
  emailStream,
  organizationDecider,
  organizationStream,
  SYSTEM_TENANT,
} from '../../domain/accounts/organization.js';
import { userStream } from '../../domain/accounts/user.js';
import { DomainError } from '../../domain/decider.js';
import { accountToken, Email, emails, Password, PersonName, users } from '../../command-api/auth/accounts.js';
import { CommandHandler } from '../../command-api/http/command-handler.js';
import { SYSTEM_OPERATOR } from '../../command-api/users/administration.js';
import { hashPassword } from '../../infrastructure/auth/passwords.js';
import { opaqueToken } from '../../infrastructure/auth/tokens.js';
import type { Resources } from '../../infrastructure/runtime/resources.js';
import { action, operatorContext } from '../action.js';
import { withResources } from '../open.js';
import { CliError, valid } from '../output.js';

/** How long the first administrator's link to choose a password works. */
const PASSWORD_LINK_TTL_MS = 72 * 3600 * 1000;
const organizations = { decider: organizationDecider };

export interface TenantRow {
  tenantId: string;
  name: string;
  registeredAt: string;
  suspended: boolean;
  suspendedAt: string | null;
}

/** Every organisation, from the log: registrations and suspensions. */
async function listTenants(resources: Resources): Promise<TenantRow[]> {
  const tenants = new Map<string, TenantRow>();
  for await (const event of resources.eventStore.readAll({
    types: ['OrganizationRegistered', 'OrganizationSuspended'],
  })) {
    const tenantId = event.metadata.tenantId;
    if (event.type === 'OrganizationRegistered') {
      const data = event.data as { name: string };
      tenants.set(tenantId, {
        tenantId,
        name: data.name,
        registeredAt: event.metadata.recordedAt,
        suspended: false,
        suspendedAt: null,
      });
    } else {
      const tenant = tenants.get(tenantId);
      if (tenant) Object.assign(tenant, { suspended: true, suspendedAt: event.metadata.recordedAt });
    }
  }
  return [...tenants.values()];
}

/**
 * A new MSP with its first administrator, as registration makes them (POST /auth/register) but verified already:
 * the address is claimed, the organisation and the user registered, the address verified. Without --password, a
 * link to choose one (the reset page) is answered.
 */
async function createTenant(
  resources: Resources,
  input: { name: string; adminEmail: string; adminName: string; password?: string },
) {
  const handler = new CommandHandler(resources.eventStore, resources.vault);
  const tenantId = randomUUID();
  const userId = randomUUID();
  const email = input.adminEmail.trim().toLowerCase();
  const addressStream = emailStream(resources.emailKey(email));
  const passwordHash = await hashPassword(input.password ?? randomBytes(32).toString('base64url'));
  await handler
    .execute(emails, addressStream, { type: 'ClaimEmail', userId, tenantId }, operatorContext(SYSTEM_TENANT))
    .catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'conflict')
        throw new CliError(`${email} already has an account: one address belongs to one account`);
      throw error;
    });
  try {
    const context = operatorContext(tenantId);
    await handler.execute(
      organizations,
      organizationStream(tenantId),
      { type: 'RegisterOrganization', tenantId, name: input.name, registeredBy: SYSTEM_OPERATOR },
      context,
      { expect: 'new' },
    );
    const verification = opaqueToken();
    const now = new Date();
    await handler.execute(
      users,
      userStream(tenantId, userId),
      {
        type: 'RegisterUser',
        userId,
        tenantId,
        email,
        name: input.adminName.trim(),
        passwordHash,
        role: 'msp_admin',
        clientId: null,
        verification: { tokenHash: verification.hash, expiresAt: new Date(now.getTime() + 60_000).toISOString() },
      },
      context,
      { expect: 'new' },
    );
    await handler.execute(
      users,
      userStream(tenantId, userId),
      { type: 'VerifyEmail', tokenHash: verification.hash, now: now.toISOString() },
      context,
    );
    let passwordLink: string | null = null;
    if (!input.password) {
      const reset = opaqueToken();
      await handler.execute(
        users,
        userStream(tenantId, userId),
        {
          type: 'IssuePasswordReset',
          reset: { tokenHash: reset.hash, expiresAt: new Date(now.getTime() + PASSWORD_LINK_TTL_MS).toISOString() },
        },
        context,
      );
      passwordLink = resources.publicUrl.link(`/reset-password?token=${accountToken(tenantId, userId, reset.token)}`);
    }
    return { tenantId, userId, email, passwordLink };
  } catch (error) {
    await handler
      .execute(emails, addressStream, { type: 'ReleaseEmail', userId }, operatorContext(SYSTEM_TENANT))
      .catch(() => {});
    throw error;
  }
}

/**
 * Suspends a tenant: an OrganizationSuspended event, after which sign-in (login, its second step, refresh) is refused
 * (command-api/auth/sign-in.ts) and so are its gateway keys (gateway/keys.ts); every session of its users ends now,
 * so that access tokens already out are refused too.
 */
async function suspendTenant(resources: Resources, tenantId: string, reason: string | null) {
  const handler = new CommandHandler(resources.eventStore, resources.vault);
  const result = await handler
    .execute(
      organizations,
      organizationStream(tenantId),
      { type: 'SuspendOrganization', reason, suspendedBy: SYSTEM_OPERATOR },
      operatorContext(tenantId),
      { expect: 'existing' },
    )
    .catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'not_found') throw new CliError(`No tenant ${tenantId}`);
      throw error;
    });
  const userIds = new Set<string>();
  for await (const event of resources.eventStore.readAll({ tenantId, types: ['UserRegistered', 'UserInvited'] }))
    userIds.add((event.data as { userId: string }).userId);
  for (const userId of userIds) await resources.sessions.revokeUser(userId, resources.config.REFRESH_TOKEN_TTL_SECONDS);
  return { tenantId, suspended: true, alreadySuspended: result.events.length === 0, sessionsEndedFor: userIds.size };
}

export function tenantsCommand(program: Command): void {
  const tenants = program.command('tenants').description('the MSP organisations (tenants) of this ledger');
  tenants
    .command('list')
    .description('list every organisation')
    .action(
      action(async ({ environment, out }) => {
        const rows = await withResources(environment, listTenants);
        out.result(rows);
        for (const row of rows)
          out.line(`${row.tenantId}  ${row.suspended ? 'suspended' : 'active   '}  ${row.registeredAt}  ${row.name}`);
        if (rows.length === 0) out.line('no organisations yet');
      }),
    );
  tenants
    .command('create')
    .description('create an MSP with its first administrator (msp_admin), its address already verified')
    .requiredOption('--name <name>', "the organisation's name")
    .requiredOption('--admin-email <email>', "the administrator's address")
    .requiredOption('--admin-name <name>', "the administrator's name")
    .option(
      '--password <password>',
      'their password (at least 12 characters); without it, a one-time link to choose one',
    )
    .action(
      action(
        async (
          { environment, out },
          options: { name: string; adminEmail: string; adminName: string; password?: string },
        ) => {
          const input = {
            name: valid(PersonName, options.name.trim(), '--name'),
            adminEmail: valid(Email, options.adminEmail.trim(), '--admin-email'),
            adminName: valid(PersonName, options.adminName.trim(), '--admin-name'),
            password:
              options.password === undefined
                ? undefined
                : valid(Password, options.password, '--password (at least 12 characters)'),
          };
          const created = await withResources(environment, (resources) => createTenant(resources, input));
          out.result(created);
          out.line(`tenant ${created.tenantId} created; administrator ${created.email} (${created.userId})`);
          if (created.passwordLink)
            out.line(`one-time link for the administrator to choose a password (72 hours): ${created.passwordLink}`);
        },
      ),
    );
  tenants
    .command('suspend')
    .description('suspend a tenant: its logins, access tokens and gateway keys are refused from now on')
    .argument('<tenant>', 'the tenant id')
    .option('--reason <text>', 'why (recorded in the event)')
    .action(
      action(async ({ environment, out }, tenantId: string, options: { reason?: string }) => {
        const result = await withResources(environment, (resources) =>
          suspendTenant(resources, tenantId, options.reason ?? null),
        );
        out.result(result);
        out.line(
          result.alreadySuspended
            ? `${tenantId} was suspended already; sessions of ${result.sessionsEndedFor} user(s) ended again`
            : `${tenantId} suspended; sessions of ${result.sessionsEndedFor} user(s) ended`,
        );
      }),
    );
}
