import type { Action } from '../ai-governance/client-ai-governance.js';
import { DomainError, type Decider, type DomainEvent, type PersonalDataFields } from '../decider.js';

/**
 * A chat session: one signed-in user of a client talking to one approved AI service through the gateway's path. Its
 * history keeps only what left for the service and what came back, in placeholder form (`<US_SSN_1>`), never a value
 * the policy redacted; and even that is sealed under the owner's own key, so that erasing the user erases it.
 */
export const CHAT_TITLE_MAX = 200;

export type ChatSessionEvent =
  | DomainEvent<
      'ChatSessionStarted',
      {
        sessionId: string;
        clientId: string;
        aiServiceId: string;
        model: string;
        /** The user the session belongs to: the only one who talks in it, and the subject its texts are sealed under. */
        ownerId: string;
        /** Sealed under the owner (a title may say who or what it is about); null when none was given. */
        title: string | null;
      }
    >
  | DomainEvent<
      'ChatMessageExchanged',
      {
        sessionId: string;
        ownerId: string;
        /** 1, 2, 3… in the session, counting blocked messages too. */
        turn: number;
        /** The gateway request (GatewayRequestRecorded) and the analysis (PromptAnalyzed) of this exchange. */
        requestId: string;
        analysisId: string;
        decision: Action;
        /** The user's message as it left for the service: placeholder form. Sealed under the owner. */
        prompt: string;
        /** The answer as it came back, after the output policy and without restoring placeholders. Sealed. */
        answer: string;
        finishReason: string;
        tokensIn: number;
        tokensOut: number;
      }
    >
  | DomainEvent<
      'ChatMessageBlocked',
      {
        sessionId: string;
        ownerId: string;
        turn: number;
        /** Nothing left for the service: only the analysis that blocked it, and its reasons (never the text). */
        analysisId: string | null;
        reasons: string[];
      }
    >;

export type ChatSessionCommand =
  | {
      type: 'StartChatSession';
      sessionId: string;
      clientId: string;
      aiServiceId: string;
      model: string;
      ownerId: string;
      title: string | null;
    }
  | {
      type: 'RecordChatExchange';
      requestId: string;
      analysisId: string;
      decision: Action;
      prompt: string;
      answer: string;
      finishReason: string;
      tokensIn: number;
      tokensOut: number;
    }
  | { type: 'RecordBlockedChatMessage'; analysisId: string | null; reasons: string[] };

/** A chat session's stream, under its tenant. */
export const chatSessionStream = (tenantId: string, sessionId: string): string =>
  `${tenantId}/chat-session/${sessionId}`;

/** Everything a user typed or read in a session is the owner's personal data. */
export const chatSessionPersonalData: Record<string, PersonalDataFields> = {
  ChatSessionStarted: { subject: 'ownerId', fields: ['title'] },
  ChatMessageExchanged: { subject: 'ownerId', fields: ['prompt', 'answer'] },
};

/** One message of a session's history, as stored: placeholder form ("[erased]" once the owner is erased). */
export interface ChatHistoryEntry {
  turn: number;
  role: 'user' | 'assistant';
  /** null: a message that was blocked, so that nothing of it was kept. */
  content: string | null;
  analysisId: string | null;
  decision: Action | null;
  blocked: boolean;
  reasons: string[];
}

export interface ChatSessionState {
  exists: boolean;
  sessionId?: string;
  clientId?: string;
  aiServiceId?: string;
  model?: string;
  ownerId?: string;
  title?: string | null;
  turns: number;
  /** The conversation so far, as it left and came back: what the next message is sent with. */
  messages: ChatHistoryEntry[];
}

export const chatSessionDecider: Decider<ChatSessionCommand, ChatSessionEvent, ChatSessionState> = {
  initialState: () => ({ exists: false, turns: 0, messages: [] }),

  decide(command, state) {
    if (command.type === 'StartChatSession') {
      if (state.exists) throw new DomainError('conflict', 'The chat session already exists');
      if (!command.model.trim()) throw new DomainError('invalid', 'A chat session needs a model', 'model');
      const title = command.title?.trim() || null;
      if (title !== null && title.length > CHAT_TITLE_MAX)
        throw new DomainError('invalid', `A title has at most ${CHAT_TITLE_MAX} characters`, 'title');
      const { type: _type, ...session } = command;
      return [{ type: 'ChatSessionStarted', data: { ...session, title } }];
    }
    if (!state.exists) throw new DomainError('not_found', 'No such chat session');
    const about = { sessionId: state.sessionId!, ownerId: state.ownerId!, turn: state.turns + 1 };
    switch (command.type) {
      case 'RecordChatExchange': {
        const { type: _type, ...exchange } = command;
        return [{ type: 'ChatMessageExchanged', data: { ...about, ...exchange } }];
      }
      case 'RecordBlockedChatMessage':
        return [
          { type: 'ChatMessageBlocked', data: { ...about, analysisId: command.analysisId, reasons: command.reasons } },
        ];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'ChatSessionStarted':
        return { ...state, exists: true, ...event.data };
      case 'ChatMessageExchanged': {
        const { turn, analysisId, decision, prompt, answer } = event.data;
        const common = { turn, analysisId, blocked: false, reasons: [] };
        return {
          ...state,
          turns: turn,
          messages: [
            ...state.messages,
            { ...common, role: 'user', content: prompt, decision },
            { ...common, role: 'assistant', content: answer, decision: null },
          ],
        };
      }
      case 'ChatMessageBlocked': {
        const { turn, analysisId, reasons } = event.data;
        return {
          ...state,
          turns: turn,
          messages: [
            ...state.messages,
            { turn, role: 'user', content: null, analysisId, decision: 'block', blocked: true, reasons },
          ],
        };
      }
    }
  },
};
