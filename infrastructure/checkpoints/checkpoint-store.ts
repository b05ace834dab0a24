import { sql } from 'kysely';
import type { Database } from '../database/database.js';
import { parsePosition, type Position } from '../event-store/position.js';

/**
 * Where each worker that follows the event log got to: the position of the last event whose effects are done. A
 * worker saves it only after those effects are (Kafka acknowledged, read-model rows committed), so a restart repeats
 * work and never skips it.
 */
export class CheckpointStore {
  constructor(private readonly database: Database) {}

  async get(name: string): Promise<Position | null> {
    const { rows } = await sql<{ position: string }>`select position from checkpoints where name = ${name}`.execute(
      this.database.db,
    );
    return rows[0] ? parsePosition(rows[0].position) : null;
  }

  async save(name: string, position: Position): Promise<void> {
    await sql`
      insert into checkpoints (name, position, updated_at) values (${name}, ${position}, now())
      on conflict (name) do update set position = excluded.position, updated_at = now()`.execute(this.database.db);
  }
}
