import type { Command } from 'commander';
import { PERMISSIONS, ROLE_PERMISSIONS, ROLES } from '../../domain/accounts/roles.js';
import { action } from '../action.js';

/** The permission table of domain/accounts/roles.ts: a row per permission, a column per role. */
export function rolesCommand(program: Command): void {
  program
    .command('roles')
    .description('print which role has which permission')
    .action(
      action(async ({ out }) => {
        out.result(Object.fromEntries(ROLES.map((role) => [role, [...ROLE_PERMISSIONS[role]]])));
        const first = Math.max(...PERMISSIONS.map((p) => p.length), 'permission'.length);
        out.line(['permission'.padEnd(first), ...ROLES].join('  '));
        for (const permission of PERMISSIONS) {
          const marks = ROLES.map((role) =>
            (ROLE_PERMISSIONS[role].includes(permission) ? '✓' : '·').padEnd(role.length),
          );
          out.line([permission.padEnd(first), ...marks].join('  ').trimEnd());
        }
      }),
    );
}
