import type { Command } from 'commander';
import { SYSTEM_TENANT } from '../../domain/accounts/organization.js';
import type { EventStore } from '../../infrastructure/event-store/types.js';
import { verifyTenant, type VerificationResult } from '../../infrastructure/event-store/verify.js';
import { action } from '../action.js';
import { withStores } from '../open.js';
import { CliError } from '../output.js';

/** Every tenant the log knows: each registered organisation, and the streams of no tenant (email addresses). */
export async function tenantIds(eventStore: EventStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const event of eventStore.readAll({ types: ['OrganizationRegistered'] }))
    ids.push(event.metadata.tenantId);
  return [...new Set([...ids, SYSTEM_TENANT])];
}

/**
 * Recomputes the hash chains (infrastructure/event-store/verify.ts) of one tenant, or of every tenant: exit code 1
 * when any chain is broken, with the first broken event of each tenant.
 */
export function verifyCommand(program: Command): void {
  program
    .command('verify')
    .description("recompute the event log's hash chains; exit code 1 on a break")
    .argument('[tenant]', 'the tenant to verify (every tenant when none is given)')
    .action(
      action(async ({ environment, out }, tenant: string | undefined) => {
        const results = await withStores(
          environment,
          async ({ eventStore }) => {
            const known = await tenantIds(eventStore);
            if (tenant !== undefined && !known.includes(tenant))
              throw new CliError(`No tenant ${tenant} in this log (ledger tenants list shows them)`, 1);
            const tenants = tenant ? [tenant] : known;
            const bar = out.progress('verifying', 'tenants');
            const checked: Array<{ tenantId: string } & VerificationResult> = [];
            try {
              for (const tenantId of tenants) {
                checked.push({ tenantId, ...(await verifyTenant(eventStore, tenantId)) });
                bar.update(checked.length, tenants.length);
              }
            } finally {
              bar.stop();
            }
            return checked;
          },
          { applicationName: 'ledger-cli-verify', poolSize: 1 },
        );
        const ok = results.every((result) => result.ok);
        for (const result of results) {
          out.line(
            result.ok
              ? `${result.tenantId}: ok, ${result.eventsChecked} events`
              : `${result.tenantId}: BROKEN at ${result.firstBreak.streamId} revision ${result.firstBreak.revision} (${result.firstBreak.reason}), after ${result.eventsChecked} events`,
          );
        }
        out.line(ok ? `${results.length} tenant(s) verified: every chain is intact` : 'the event log has been altered');
        out.result({ ok, tenants: results });
        return ok ? 0 : 1;
      }),
    );
}
