import express, { type Router } from 'express';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database } from '../infrastructure/database/database.js';
import { START } from '../infrastructure/event-store/position.js';
import type { EventStore } from '../infrastructure/event-store/types.js';
import type { ReadinessCheck } from '../infrastructure/http/readiness.js';
import { PROJECTIONS } from './catalog.js';
import { lagAfter, secondsSince } from './runner.js';
import { checkpointName, eventTypesOf } from './projection.js';
import { readCheckpoint } from '../infrastructure/checkpoints/checkpoints.js';

async function lags(database: Database, eventStore: EventStore) {
  return Promise.all(
    PROJECTIONS.map(async (projection) => {
      const checkpoint = await readCheckpoint(database.db, checkpointName(projection));
      return {
        projection,
        ...(await lagAfter(eventStore, eventTypesOf([projection]), checkpoint ?? START)),
        started: checkpoint !== null,
      };
    }),
  );
}

/**
 * GET /metrics in Prometheus text format: each projection's lag in events and seconds (read from the checkpoints, so
 * any process can serve it), the events held back from readers, and the process's own metrics. Also readiness checks
 * reporting the same.
 */
export function projectionMetrics(
  database: Database,
  eventStore: EventStore,
): { router: Router; readiness: ReadinessCheck[] } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ledger_' });
  const events = new Gauge({
    name: 'ledger_projection_lag_events',
    help: 'Events of the projection\u2019s types not yet applied (counted up to 10,000)',
    labelNames: ['projection'],
    registers: [registry],
  });
  const seconds = new Gauge({
    name: 'ledger_projection_lag_seconds',
    help: 'Age of the oldest event not yet applied',
    labelNames: ['projection'],
    registers: [registry],
  });
  const heldEvents = new Gauge({
    name: 'ledger_event_log_held_back_events',
    help: 'Events committed but not yet visible to readers: an older transaction is still open',
    registers: [registry],
  });
  const heldSeconds = new Gauge({
    name: 'ledger_event_log_held_back_seconds',
    help: 'Age of the oldest event held back from readers',
    registers: [registry],
  });
  const router = express.Router();
  router.get('/metrics', async (_req, res) => {
    for (const lag of await lags(database, eventStore)) {
      events.set({ projection: lag.projection.name }, lag.events);
      seconds.set({ projection: lag.projection.name }, lag.seconds);
    }
    const held = await heldBack(eventStore);
    if (held) {
      heldEvents.set(held.events);
      heldSeconds.set(held.seconds);
    }
    res.type(registry.contentType).send(await registry.metrics());
  });
  const readiness: ReadinessCheck[] = [
    {
      name: 'projections',
      async check() {
        const all = await lags(database, eventStore);
        return Object.fromEntries(
          all.map((lag) => [
            lag.projection.name,
            { version: lag.projection.version, lagEvents: lag.events, lagSeconds: round(lag.seconds) },
          ]),
        );
      },
    },
  ];
  // Lag counts only what readers can see: events held back behind an open transaction are reported apart.
  if (eventStore.heldBack) {
    readiness.push({
      name: 'event-log',
      async check() {
        const held = (await heldBack(eventStore))!;
        return { heldBackEvents: held.events, heldBackSeconds: round(held.seconds) };
      },
    });
  }
  return { router, readiness };
}

const round = (seconds: number): number => Math.round(seconds * 10) / 10;

async function heldBack(eventStore: EventStore): Promise<{ events: number; seconds: number } | null> {
  if (!eventStore.heldBack) return null;
  const { events, oldestRecordedAt } = await eventStore.heldBack();
  return { events, seconds: secondsSince(oldestRecordedAt) };
}
