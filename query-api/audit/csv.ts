import type { z } from 'zod';
import type { AuditEntry } from '../../projections/read-models/audit-log.js';

/**
 * The columns of the CSV export: an entry with its client and its actor's name, its refusal flattened into what was
 * asked, and the full reason (a refusal's title, detail and fields, or the event's own reason).
 */
export const AUDIT_COLUMNS = [
  'position',
  'eventId',
  'streamId',
  'clientId',
  'type',
  'actorId',
  'actorName',
  'correlationId',
  'ip',
  'recordedAt',
  'outcome',
  'command',
  'status',
  'reason',
] as const;

/**
 * What may make a spreadsheet read a cell as a formula (OWASP, CSV injection): a leading =, +, -, @, tab or carriage
 * return; a line feed too; and the full-width ＝ ＋ － ＠, which some spreadsheets take for the ASCII ones.
 */
const FORMULA_START = /^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/;

/** RFC 4180 quoting, and no spreadsheet formulas from data (a field that could start one gets a leading '). */
function csvField(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One audit entry as a CSV line (without its line break). */
export function csvLine(entry: z.output<typeof AuditEntry>): string {
  const flat = {
    ...entry,
    command: entry.refusal ? `${entry.refusal.method} ${entry.refusal.path}` : null,
    status: entry.refusal?.status ?? null,
    reason: entry.reason,
  };
  return AUDIT_COLUMNS.map((column) => csvField(flat[column])).join(',');
}
