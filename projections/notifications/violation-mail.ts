import type { Mail } from '../../infrastructure/mail/mailer.js';
import type { ViolationCloudEvent } from '../violations/cloud-event.js';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function line(event: ViolationCloudEvent): string {
  const { kind, severity, action, entities, occurredAt } = event.data;
  const found = entities.length > 0 ? `: ${entities.map((e) => `${e.count} × ${e.type}`).join(', ')}` : '';
  const what =
    kind === 'unapproved-ai-service'
      ? 'a prompt to an AI service that is not approved'
      : kind === 'evidence-expired'
        ? 'evidence expired'
        : `sensitive data in a prompt${found}`;
  return `${occurredAt} · ${severity} · ${action} · ${what}`;
}

/**
 * The mail compliance officers get: one violation, or an hourly digest of several. It names entity types and
 * counts, never a value, and links back to the API.
 */
export function violationMail(to: string, clientName: string, events: ViolationCloudEvent[]): Mail {
  const worst = events
    .map((e) => e.data.severity)
    .sort(
      (a, b) => ['low', 'medium', 'high', 'critical'].indexOf(b) - ['low', 'medium', 'high', 'critical'].indexOf(a),
    )[0]!;
  const subject =
    events.length === 1
      ? `[Compliance Ledger] ${worst} violation for ${clientName}: ${events[0]!.data.kind} (${events[0]!.data.action})`
      : `[Compliance Ledger] ${events.length} violations for ${clientName}, the worst ${worst}`;
  const lines = events.map((e) => ({ text: line(e), reasons: e.data.reasons, link: e.data.links.history }));
  const text = [
    `Compliance Ledger recorded ${events.length === 1 ? 'a violation' : `${events.length} violations`} for ${clientName}.`,
    '',
    ...lines.flatMap((l) => [`- ${l.text}`, ...l.reasons.map((r) => `    ${r}`), `    ${l.link}`]),
    '',
    'You receive this because you are a compliance officer for this client.',
  ].join('\n');
  const html = `<p>Compliance Ledger recorded ${events.length === 1 ? 'a violation' : `${events.length} violations`} for ${escape(clientName)}.</p><ul>${lines
    .map(
      (l) =>
        `<li>${escape(l.text)}<br><small>${l.reasons.map(escape).join('<br>')}</small><br><a href="${escape(l.link)}">history</a></li>`,
    )
    .join('')}</ul><p>You receive this because you are a compliance officer for this client.</p>`;
  return { to, subject, text, html };
}
