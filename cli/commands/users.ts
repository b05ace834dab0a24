import type { Command } from 'commander';
import { z } from 'zod';
import { organizationDecider, organizationStream } from '../../domain/accounts/organization.js';
import { ROLES, type Role } from '../../domain/accounts/roles.js';
import { Email } from '../../command-api/auth/accounts.js';
import { CommandHandler } from '../../command-api/http/command-handler.js';
import { SYSTEM_OPERATOR, userAdministration, type UserAdministrator } from '../../command-api/users/administration.js';
import type { Resources } from '../../infrastructure/runtime/resources.js';
import { action, operatorContext } from '../action.js';
import { withResources } from '../open.js';
import { CliError, valid } from '../output.js';

const Role = z.enum(ROLES, { message: `expected one of ${ROLES.join(', ')}` });
const Id = z.uuid({ message: 'expected an id (a UUID)' });

/**
 * Runs one of the API's user operations (command-api/users/administration.ts) in a tenant, as the system operator:
 * the same commands, checks and session endings as the routes, recorded with actorId "system-operator".
 */
async function asOperator<T>(
  resources: Resources,
  tenantId: string,
  work: (administration: ReturnType<typeof userAdministration>, operator: UserAdministrator) => Promise<T>,
): Promise<T> {
  const handler = new CommandHandler(resources.eventStore, resources.vault);
  const organization = await handler.load({ decider: organizationDecider }, organizationStream(tenantId));
  if (!organization.state.exists) throw new CliError(`No tenant ${tenantId}`);
  return work(userAdministration(resources, handler), { userId: SYSTEM_OPERATOR, tenantId, clientId: null });
}

export function usersCommand(program: Command): void {
  const users = program.command('users').description("a tenant's users, managed as the API's administrators do");
  users
    .command('invite')
    .description('invite a user with a role (and client, for client roles); mails the 7-day link and prints it')
    .requiredOption('--tenant <id>', 'the tenant')
    .requiredOption('--email <email>', 'their address')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .option('--client <id>', 'the client, for client_admin, compliance_officer and member')
    .action(
      action(
        async ({ environment, out }, options: { tenant: string; email: string; role: string; client?: string }) => {
          const tenantId = valid(Id, options.tenant, '--tenant');
          const input = {
            email: valid(Email, options.email.trim(), '--email'),
            role: valid(Role, options.role, '--role'),
            clientId: options.client === undefined ? null : valid(Id, options.client, '--client'),
          };
          const invited = await withResources(environment, (resources) =>
            asOperator(resources, tenantId, (administration, operator) =>
              administration.invite(operator, input, operatorContext(tenantId)),
            ),
          );
          out.result({ userId: invited.userId, tenantId, role: input.role, invitationLink: invited.link });
          out.line(`invited ${input.email} as ${input.role}: user ${invited.userId}`);
          out.line(`invitation link (7 days): ${invited.link}`);
        },
      ),
    );
  users
    .command('role')
    .description("change a user's role (and client scope); their sessions end")
    .argument('<user>', 'the user id')
    .requiredOption('--tenant <id>', 'the tenant')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .option('--client <id>', 'the client, for client roles')
    .action(
      action(async ({ environment, out }, user: string, options: { tenant: string; role: string; client?: string }) => {
        const tenantId = valid(Id, options.tenant, '--tenant');
        const userId = valid(Id, user, 'user');
        const role: Role = valid(Role, options.role, '--role');
        const clientId = options.client === undefined ? null : valid(Id, options.client, '--client');
        const result = await withResources(environment, (resources) =>
          asOperator(resources, tenantId, (administration, operator) =>
            administration.changeRole(operator, userId, { role, clientId }, operatorContext(tenantId)),
          ),
        );
        out.result({ userId, tenantId, role, clientId, changed: result.events.length > 0 });
        out.line(result.events.length > 0 ? `${userId} is now ${role}` : `${userId} was ${role} already`);
      }),
    );
  users
    .command('deactivate')
    .description('deactivate a user: they can no longer log in, and their sessions end')
    .argument('<user>', 'the user id')
    .requiredOption('--tenant <id>', 'the tenant')
    .action(
      action(async ({ environment, out }, user: string, options: { tenant: string }) => {
        const tenantId = valid(Id, options.tenant, '--tenant');
        const userId = valid(Id, user, 'user');
        await withResources(environment, (resources) =>
          asOperator(resources, tenantId, (administration, operator) =>
            administration.deactivate(operator, userId, operatorContext(tenantId)),
          ),
        );
        out.result({ userId, tenantId, status: 'deactivated' });
        out.line(`${userId} deactivated; their sessions have ended`);
      }),
    );
}
