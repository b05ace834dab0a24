import { DomainError, type Decider, type DomainEvent } from '../decider.js';
import type { FrameworkId } from '../frameworks/catalog.js';

/**
 * A policy document and its life: drafts are versions; a version is submitted, approved by someone other than its
 * authors, and published. An approval records the hash of the exact content approved, so an edit after approval
 * (a new version) needs a new approval before it can be published. Retiring keeps the whole history.
 */
export const POLICY_STATUSES = ['draft', 'in_review', 'approved', 'published', 'retired'] as const;
export type PolicyStatus = 'none' | (typeof POLICY_STATUSES)[number];

/** A policy's stream. It begins with the tenant: an id from another tenant names a stream that does not exist. */
export const policyStream = (tenantId: string, policyId: string): string => `${tenantId}/policy/${policyId}`;

export interface PolicyVersion {
  version: number;
  content: string;
  contentHash: string;
  authorId: string;
}

export interface Generator {
  name: string;
  version: string;
  /** SHA-256 of the canonical generator input: the same input gives the same document. */
  inputHash: string;
}

export type PolicyEvent =
  | DomainEvent<
      'PolicyGenerated',
      {
        policyId: string;
        clientId: string;
        frameworkId: FrameworkId;
        catalogVersion: string;
        title: string;
        generator: Generator;
      } & PolicyVersion
    >
  | DomainEvent<'PolicyDraftEdited', PolicyVersion>
  | DomainEvent<'PolicySubmitted', { version: number; submittedBy: string; comment: string | null }>
  | DomainEvent<'PolicyApproved', { version: number; contentHash: string; approvedBy: string; comment: string | null }>
  | DomainEvent<'PolicyPublished', { version: number; publishedBy: string; comment: string | null }>
  | DomainEvent<'PolicyRetired', { retiredBy: string }>;

export type PolicyCommand =
  | {
      type: 'GeneratePolicy';
      policyId: string;
      clientId: string;
      frameworkId: FrameworkId;
      catalogVersion: string;
      title: string;
      content: string;
      contentHash: string;
      generator: Generator;
      actorId: string;
    }
  | { type: 'EditPolicy'; content: string; contentHash: string; actorId: string }
  | { type: 'SubmitPolicy'; actorId: string; comment: string | null }
  | { type: 'ApprovePolicy'; actorId: string; comment: string | null }
  | { type: 'PublishPolicy'; actorId: string; comment: string | null }
  | { type: 'RetirePolicy'; actorId: string };

export interface PolicyState {
  status: PolicyStatus;
  policyId?: string;
  clientId?: string;
  frameworkId?: FrameworkId;
  title?: string;
  versions: PolicyVersion[];
  approval?: { version: number; contentHash: string; approvedBy: string };
  publishedVersion?: number;
}

export const currentVersion = (state: PolicyState): PolicyVersion | undefined =>
  state.versions[state.versions.length - 1];

/** Edits that change only whitespace are not material: they make no new version. */
const normalise = (markdown: string): string => markdown.replace(/\s+/g, ' ').trim();

export const policyDecider: Decider<PolicyCommand, PolicyEvent, PolicyState> = {
  initialState: () => ({ status: 'none', versions: [] }),

  decide(command, state) {
    if (command.type !== 'GeneratePolicy') {
      if (state.status === 'none') throw new DomainError('not_found', 'No such policy');
      if (state.status === 'retired') throw new DomainError('gone', 'The policy is retired');
    }
    const current = currentVersion(state);
    switch (command.type) {
      case 'GeneratePolicy': {
        if (state.status !== 'none') throw new DomainError('conflict', 'The policy already exists');
        const { type: _type, actorId, content, contentHash, ...policy } = command;
        return [{ type: 'PolicyGenerated', data: { ...policy, version: 1, content, contentHash, authorId: actorId } }];
      }
      case 'EditPolicy': {
        if (!command.content.trim()) throw new DomainError('invalid', 'A policy cannot be empty', 'content');
        if (current && normalise(current.content) === normalise(command.content)) return [];
        return [
          {
            type: 'PolicyDraftEdited',
            data: {
              version: (current?.version ?? 0) + 1,
              content: command.content,
              contentHash: command.contentHash,
              authorId: command.actorId,
            },
          },
        ];
      }
      case 'SubmitPolicy': {
        if (state.status !== 'draft')
          throw new DomainError('conflict', `Only a draft can be submitted; the policy is ${state.status}`);
        return [
          {
            type: 'PolicySubmitted',
            data: { version: current!.version, submittedBy: command.actorId, comment: command.comment },
          },
        ];
      }
      case 'ApprovePolicy': {
        if (state.status !== 'in_review')
          throw new DomainError('conflict', `Only a submitted policy can be approved; the policy is ${state.status}`);
        const authors = new Set(state.versions.filter((v) => v.version === current!.version).map((v) => v.authorId));
        if (authors.has(command.actorId))
          throw new DomainError('forbidden', 'Nobody approves their own draft: ask another reviewer');
        return [
          {
            type: 'PolicyApproved',
            data: {
              version: current!.version,
              contentHash: current!.contentHash,
              approvedBy: command.actorId,
              comment: command.comment,
            },
          },
        ];
      }
      case 'PublishPolicy': {
        if (state.status !== 'approved' || state.approval?.contentHash !== current!.contentHash) {
          throw new DomainError(
            'conflict',
            'Only the approved content can be published; submit the current draft for approval',
          );
        }
        return [
          {
            type: 'PolicyPublished',
            data: { version: current!.version, publishedBy: command.actorId, comment: command.comment },
          },
        ];
      }
      case 'RetirePolicy':
        return [{ type: 'PolicyRetired', data: { retiredBy: command.actorId } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'PolicyGenerated': {
        const { version, content, contentHash, authorId, policyId, clientId, frameworkId, title } = event.data;
        return {
          ...state,
          status: 'draft',
          policyId,
          clientId,
          frameworkId,
          title,
          versions: [{ version, content, contentHash, authorId }],
        };
      }
      case 'PolicyDraftEdited':
        return { ...state, status: 'draft', versions: [...state.versions, event.data] };
      case 'PolicySubmitted':
        return { ...state, status: 'in_review' };
      case 'PolicyApproved':
        return {
          ...state,
          status: 'approved',
          approval: {
            version: event.data.version,
            contentHash: event.data.contentHash,
            approvedBy: event.data.approvedBy,
          },
        };
      case 'PolicyPublished':
        return { ...state, status: 'published', publishedVersion: event.data.version };
      case 'PolicyRetired':
        return { ...state, status: 'retired' };
    }
  },
};
