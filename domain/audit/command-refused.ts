import type { DomainEvent } from '../decider.js';

/**
 * A command refused by a permission, domain or concurrency rule (a 4xx to an authenticated command), as the audit trail
 * records it: what was asked and why it was refused, never the body.
 */
export interface CommandRefusedData {
  method: string;
  /** The path without its query string: ids, never bodies. */
  path: string;
  status: number;
  problem: string;
  title: string;
  detail: string | null;
  /** The fields the problem names, without their values. */
  fields: string[];
}

export type CommandRefusedEvent = DomainEvent<'CommandRefused', CommandRefusedData>;

/** The tenant's log of refused commands: one stream a day, so that no stream grows without end. The day is given. */
export const commandLogStream = (tenantId: string, day: string): string => `${tenantId}/command-log/${day}`;

const CLIENT_PATH = /\/clients\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\/|$)/i;

/** The client a refused command's path names (`/clients/{id}…`), if it names one. */
export function clientNamedIn(path: string): string | null {
  return CLIENT_PATH.exec(path)?.[1]?.toLowerCase() ?? null;
}
