import { sql } from 'kysely';
import { evidenceExpiryDecider, evidenceExpiryStream } from '../../domain/evidence/expiry-violation.js';
import { fold } from '../../domain/decider.js';
import type { Database } from '../../infrastructure/database/database.js';
import { WrongExpectedRevisionError, type EventStore } from '../../infrastructure/event-store/types.js';
import type { Logger } from '../../infrastructure/logging/logger.js';

interface Due {
  tenant_id: string;
  evidence_id: string;
  client_id: string;
  title: string;
  expires_at: Date;
  assessment_ids: string[];
}

/**
 * Time, not a command, makes evidence expire: every `intervalMs` the watch looks for active evidence past its expiry
 * that a submitted assessment cites, and records one violation per piece (its own stream, created once, so two
 * watches or a restart cannot record it twice).
 */
export class EvidenceExpiryWatch {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly options: {
      database: Database;
      eventStore: EventStore;
      logger: Logger;
      intervalMs: number;
      now?: () => Date;
    },
  ) {}

  start(): void {
    const tick = () => {
      this.running = this.sweep()
        .catch((error: unknown) => this.options.logger.error({ err: error }, 'evidence expiry watch: a sweep failed'))
        .then(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Records a violation for each piece of evidence that is due; returns how many. */
  async sweep(): Promise<number> {
    const now = (this.options.now ?? (() => new Date()))();
    const { rows } = await sql<Due>`
      select w.tenant_id, w.evidence_id, w.client_id, w.title, w.expires_at, array_agg(distinct c.assessment_id) as assessment_ids
      from evidence_watch w
      join evidence_watch_submissions s on s.tenant_id = w.tenant_id
      join evidence_watch_citations c on c.tenant_id = s.tenant_id and c.assessment_id = s.assessment_id
        and (w.evidence_id = any(c.evidence_ids) or (s.client_id = w.client_id and c.requirement_id = any(w.requirement_ids)))
      where w.active and not w.violation_recorded and w.expires_at <= ${now.toISOString()}::timestamptz
      group by w.tenant_id, w.evidence_id, w.client_id, w.title, w.expires_at
      limit 500`.execute(this.options.database.db);
    let recorded = 0;
    for (const due of rows) {
      const events = evidenceExpiryDecider.decide(
        {
          type: 'RecordEvidenceExpiry',
          evidenceId: due.evidence_id,
          clientId: due.client_id,
          title: due.title,
          expiresAt: new Date(due.expires_at).toISOString(),
          assessmentIds: due.assessment_ids,
          now: now.toISOString(),
        },
        fold(evidenceExpiryDecider, []),
      );
      try {
        await this.options.eventStore.append(
          evidenceExpiryStream(due.tenant_id, due.evidence_id),
          events.map((e) => ({
            type: e.type,
            data: e.data,
            metadata: {
              tenantId: due.tenant_id,
              actorId: 'system:evidence-expiry-watch',
              correlationId: `evidence-expiry:${due.evidence_id}`,
              clientId: due.client_id,
            },
          })),
          { expectedRevision: 'no_stream' },
        );
        recorded++;
      } catch (error) {
        // Already recorded (by another watch, or before the read model caught up): nothing to do.
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
      }
    }
    if (recorded > 0) this.options.logger.info({ recorded }, 'expired evidence recorded as violations');
    return recorded;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
