export type Freshness = 'valid' | 'expiring' | 'expired';

const DAY = 86_400_000;

/** Evidence freshness at a moment: expired (or retired), expiring within 30 days, or valid. */
export function freshnessAt(evidence: { status?: unknown; expires_at?: unknown }, at: string): Freshness {
  const expires = new Date(evidence.expires_at as string).getTime();
  const now = Date.parse(at);
  if (evidence.status !== 'active' || expires <= now) return 'expired';
  return expires <= now + 30 * DAY ? 'expiring' : 'valid';
}
