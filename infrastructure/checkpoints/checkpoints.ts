import { sql, type Kysely } from 'kysely';
import { parsePosition, START, type Position } from '../event-store/position.js';

/**
 * Where each worker that follows the event log got to: the position of the last event whose effects are done. A
 * worker saves it only after those effects are (Kafka acknowledged, read-model rows committed), so a restart repeats
 * work and never skips it. Projections save it in the very transaction of their rows.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

export async function readCheckpoint(db: Db, name: string): Promise<Position | null> {
  const { rows } = await sql<{ position: string }>`select position from checkpoints where name = ${name}`.execute(db);
  return rows[0] ? parsePosition(rows[0].position) : null;
}

/** Reads the checkpoint and holds its row until the transaction ends (a second writer of it waits). */
export async function lockCheckpoint(trx: Db, name: string): Promise<Position | null> {
  await sql`insert into checkpoints (name, position) values (${name}, ${START}) on conflict (name) do nothing`.execute(
    trx,
  );
  const { rows } = await sql<{
    position: string;
  }>`select position from checkpoints where name = ${name} for update`.execute(trx);
  const position = parsePosition(rows[0]!.position);
  return position === START ? null : position;
}

export async function saveCheckpoint(db: Db, name: string, position: Position): Promise<void> {
  await sql`
    insert into checkpoints (name, position, updated_at) values (${name}, ${position}, now())
    on conflict (name) do update set position = excluded.position, updated_at = now()`.execute(db);
}

/** The checkpoints of one database, for workers that are handed a store (the Kafka publisher). */
export class CheckpointStore {
  constructor(private readonly database: { db: Db }) {}

  get(name: string): Promise<Position | null> {
    return readCheckpoint(this.database.db, name);
  }

  save(name: string, position: Position): Promise<void> {
    return saveCheckpoint(this.database.db, name, position);
  }
}
