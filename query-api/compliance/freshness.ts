import { freshness, type Freshness } from '../../domain/evidence/evidence.js';

export type { Freshness };

/** Evidence freshness at a moment, of a read model row: the domain's freshness (retired apart from expired). */
export function freshnessAt(evidence: { status?: unknown; expires_at?: unknown }, at: string): Freshness {
  return freshness(
    {
      status: evidence.status === 'retired' ? 'retired' : evidence.status === 'active' ? 'active' : 'none',
      expiresAt: new Date(evidence.expires_at as string).toISOString(),
    },
    new Date(at).toISOString(),
  );
}
