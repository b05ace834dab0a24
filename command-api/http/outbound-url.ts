import { HttpProblem } from '../../infrastructure/http/problem.js';
import type { OutboundGuard } from '../../infrastructure/outbound/guard.js';

/**
 * A tenant-supplied URL the ledger will call (a webhook, an AI provider's base URL), checked as written before it is
 * recorded: refused, it is a 422 naming the field and the operator setting that would allow it. The same guard
 * checks it again, with DNS, at every call (vettedFetch).
 */
export function requireOutboundUrl(
  guard: OutboundGuard,
  value: string,
  target: {
    field: string;
    /** What the URL is, for the problem's title: "webhook URL". */
    what: string;
    /** The configuration that allowlists hosts: WEBHOOK_ALLOWED_HOSTS. */
    allowlist: string;
    /** A base URL that paths are appended to: no query and no fragment, which would end up in the middle of one. */
    base?: boolean;
  },
): void {
  let refused = guard.checkUrl(value);
  if (!refused && target.base) {
    const url = new URL(value);
    if (url.search || url.hash || value.includes('?') || value.includes('#'))
      refused = 'must not carry a query or a fragment';
  }
  if (!refused) return;
  throw new HttpProblem(
    422,
    'invalid',
    `The ${target.what} is refused`,
    `The URL ${refused}. Private and loopback addresses need the operator's ${target.allowlist}.`,
    { errors: [{ field: target.field, message: refused }] },
  );
}
