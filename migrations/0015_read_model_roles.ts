import { sql, type Kysely } from 'kysely';
import { readModelSecurity, type ClientScoping } from './tenant-rls.js';

const column: ClientScoping = { kind: 'column' };

/** Every read model under row-level security, and whose rows a client-scoped reader sees in it. */
export const READ_MODEL_SCOPING: Record<string, ClientScoping> = {
  clients: column,
  violations: column,
  audit_log: { kind: 'msp-only' },
  policies: column,
  policy_versions: { kind: 'parent', parent: 'policies', key: 'policy_id' },
  policy_reviews: { kind: 'parent', parent: 'policies', key: 'policy_id' },
  evidence: column,
  ai_services: { kind: 'tenant-wide' },
  ai_service_approvals: column,
  ai_usage: column,
  assessments: column,
  assessment_results: { kind: 'parent', parent: 'assessments', key: 'assessment_id' },
  users: column,
  prompt_analyses: column,
};

/** Tables projections write that readers never query directly. */
const PROJECTION_TABLES = ['evidence_watch', 'evidence_watch_citations', 'evidence_watch_submissions'];

/**
 * Projections get a role of their own (ledger_projector) instead of a setting any transaction could set
 * (app.projection = 'on'), which let the query side's role switch row-level security off. The query side's role,
 * ledger_app, keeps only SELECT on read models, under policies that scope it to one tenant and one client.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    do $$ begin
      create role ledger_projector nologin;
    exception when duplicate_object or unique_violation then null;
    end $$`.execute(db);
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  await sql`grant usage on schema ${sql.id(rows[0]!.schema)} to ledger_projector`.execute(db);
  for (const [table, scoping] of Object.entries(READ_MODEL_SCOPING)) await readModelSecurity(db, table, scoping);
  for (const table of PROJECTION_TABLES) {
    await sql`grant select, insert, update, delete on ${sql.table(table)} to ledger_projector`.execute(db);
  }
  await sql`grant select, insert, update on checkpoints to ledger_projector`.execute(db);
}

export async function down(): Promise<void> {
  // Policies and grants only: the earlier migrations' tables stay as they are.
}
