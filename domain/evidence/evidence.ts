import { DomainError, type Decider, type DomainEvent } from '../decider.js';

/**
 * A piece of evidence: a stored file (by SHA-256) with the period it is valid for, and the requirements it supports.
 * Retiring it keeps the record; a retired item no longer counts as valid evidence.
 */
export interface EvidenceFile {
  fileName: string;
  contentType: string;
  sha256: string;
  size: number;
}

export type EvidenceEvent =
  | DomainEvent<
      'EvidenceUploaded',
      EvidenceFile & {
        evidenceId: string;
        clientId: string;
        title: string;
        validFrom: string;
        expiresAt: string;
        uploadedBy: string;
      }
    >
  | DomainEvent<'EvidenceMapped', { requirementIds: string[] }>
  /** Links undone: the requirements this evidence no longer supports. */
  | DomainEvent<'EvidenceUnmapped', { requirementIds: string[] }>
  /** Taken out of use; `reason` (why, as given) is absent from events recorded before it was asked for. */
  | DomainEvent<'EvidenceRetired', { retiredBy: string; reason?: string }>;

export type EvidenceCommand =
  | ({
      type: 'UploadEvidence';
      evidenceId: string;
      clientId: string;
      title: string;
      validFrom: string;
      expiresAt: string;
      uploadedBy: string;
    } & EvidenceFile)
  | {
      type: 'MapEvidence' | 'UnmapEvidence';
      requirementIds: string[];
      /**
       * The requirement ids of the catalogs the client is held to (its frameworks, at the shipped version): an id that
       * is none of them is refused by name. Absent: not checked (older callers, replays).
       */
      catalog?: ReadonlySet<string>;
    }
  | { type: 'RetireEvidence'; retiredBy: string; reason?: string };

/** A piece of evidence's stream, under its tenant. */
export const evidenceStream = (tenantId: string, evidenceId: string): string => `${tenantId}/evidence/${evidenceId}`;

export interface EvidenceState {
  status: 'none' | 'active' | 'retired';
  clientId?: string;
  title?: string;
  file?: EvidenceFile;
  validFrom?: string;
  expiresAt?: string;
  requirementIds: string[];
  /** Why it was retired, as given (absent: none given, or not retired). */
  retiredReason?: string;
}

/**
 * Freshness as users see it: valid, expiring within 30 days, expired (active, past its expiry) or retired (withdrawn,
 * whatever its expiry: kept apart from expired everywhere, since it was taken out of use rather than left to lapse).
 */
export const FRESHNESS = ['valid', 'expiring', 'expired', 'retired'] as const;
export type Freshness = (typeof FRESHNESS)[number];

export function freshness(state: Pick<EvidenceState, 'status' | 'expiresAt'>, now: string): Freshness {
  if (state.status === 'retired') return 'retired';
  if (state.status !== 'active' || !state.expiresAt || state.expiresAt <= now) return 'expired';
  const soon = new Date(new Date(now).getTime() + 30 * 24 * 3600 * 1000).toISOString();
  return state.expiresAt <= soon ? 'expiring' : 'valid';
}

export const evidenceDecider: Decider<EvidenceCommand, EvidenceEvent, EvidenceState> = {
  initialState: () => ({ status: 'none', requirementIds: [] }),

  decide(command, state) {
    switch (command.type) {
      case 'UploadEvidence': {
        if (state.status !== 'none') throw new DomainError('conflict', 'The evidence already exists');
        if (!command.title.trim()) throw new DomainError('invalid', 'Evidence needs a title', 'title');
        if (command.expiresAt <= command.validFrom)
          throw new DomainError('invalid', 'expiresAt must be after validFrom', 'expiresAt');
        const { type: _type, ...evidence } = command;
        return [{ type: 'EvidenceUploaded', data: { ...evidence, title: evidence.title.trim() } }];
      }
      case 'MapEvidence':
      case 'UnmapEvidence': {
        if (state.status === 'none') throw new DomainError('not_found', 'No such evidence');
        if (state.status === 'retired') throw new DomainError('gone', 'The evidence is retired');
        const { catalog } = command;
        if (catalog) {
          const i = command.requirementIds.findIndex((id) => !catalog.has(id) && !state.requirementIds.includes(id));
          if (i >= 0)
            throw new DomainError(
              'invalid',
              `No requirement ${command.requirementIds[i]} in the catalogs of the client's frameworks`,
              `requirementIds.${i}`,
            );
        }
        const asked = [...new Set(command.requirementIds)];
        if (command.type === 'UnmapEvidence') {
          const removed = asked.filter((id) => state.requirementIds.includes(id));
          return removed.length > 0 ? [{ type: 'EvidenceUnmapped', data: { requirementIds: removed } }] : [];
        }
        const added = asked.filter((id) => !state.requirementIds.includes(id));
        return added.length > 0 ? [{ type: 'EvidenceMapped', data: { requirementIds: added } }] : [];
      }
      case 'RetireEvidence': {
        if (state.status === 'none') throw new DomainError('not_found', 'No such evidence');
        if (state.status === 'retired') return [];
        const reason = command.reason?.trim();
        return [{ type: 'EvidenceRetired', data: { retiredBy: command.retiredBy, ...(reason ? { reason } : {}) } }];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'EvidenceUploaded': {
        const { fileName, contentType, sha256, size, clientId, title, validFrom, expiresAt } = event.data;
        return {
          ...state,
          status: 'active',
          clientId,
          title,
          validFrom,
          expiresAt,
          file: { fileName, contentType, sha256, size },
        };
      }
      case 'EvidenceMapped':
        return { ...state, requirementIds: [...state.requirementIds, ...event.data.requirementIds] };
      case 'EvidenceUnmapped':
        return {
          ...state,
          requirementIds: state.requirementIds.filter((id) => !event.data.requirementIds.includes(id)),
        };
      case 'EvidenceRetired':
        return { ...state, status: 'retired', ...(event.data.reason ? { retiredReason: event.data.reason } : {}) };
    }
  },
};
