import { sql } from 'kysely';
import type { Database } from '../../infrastructure/database/database.js';

/** What an attacker with table-owner rights would do: switch off the append-only trigger and rewrite an event. */
export async function tamperWithEvent(
  database: Database,
  streamId: string,
  revision: number,
  data: unknown,
): Promise<void> {
  await database.db.transaction().execute(async (trx) => {
    await sql`alter table events disable trigger events_append_only`.execute(trx);
    await sql`update events set data = ${JSON.stringify(data)}::jsonb where stream_id = ${streamId} and stream_revision = ${revision}`.execute(
      trx,
    );
    await sql`alter table events enable trigger events_append_only`.execute(trx);
  });
}
