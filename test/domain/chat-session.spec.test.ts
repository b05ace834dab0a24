import { describe, expect, it } from 'vitest';
import { fold } from '../../domain/decider.js';
import { chatSessionDecider, type ChatSessionEvent } from '../../domain/chat/chat-session.js';
import { given } from '../support/decider-spec.js';

const started: ChatSessionEvent = {
  type: 'ChatSessionStarted',
  data: { sessionId: 's-1', clientId: 'c-1', aiServiceId: 'ai-1', model: 'm', ownerId: 'u-1', title: 'Intake' },
};
const exchange = {
  type: 'RecordChatExchange' as const,
  requestId: 'r-1',
  analysisId: 'a-1',
  decision: 'redact' as const,
  prompt: 'Patient <US_SSN_1> asks',
  answer: 'Noted for <US_SSN_1>.',
  finishReason: 'stop',
  tokensIn: 7,
  tokensOut: 5,
};
const exchanged: ChatSessionEvent = {
  type: 'ChatMessageExchanged',
  data: {
    sessionId: 's-1',
    ownerId: 'u-1',
    turn: 1,
    requestId: 'r-1',
    analysisId: 'a-1',
    decision: 'redact',
    prompt: 'Patient <US_SSN_1> asks',
    answer: 'Noted for <US_SSN_1>.',
    finishReason: 'stop',
    tokensIn: 7,
    tokensOut: 5,
  },
};

describe('chat session', () => {
  it('is started once, by its owner, with a model and an optional title of at most 200 characters', () => {
    const start = {
      type: 'StartChatSession' as const,
      sessionId: 's-1',
      clientId: 'c-1',
      aiServiceId: 'ai-1',
      model: 'm',
      ownerId: 'u-1',
      title: '  Intake ',
    };
    given(chatSessionDecider).when(start).then([started]);
    given(chatSessionDecider)
      .when({ ...start, title: '   ' })
      .then([{ ...started, data: { ...started.data, title: null } }]);
    given(chatSessionDecider)
      .when({ ...start, title: 'x'.repeat(201) })
      .thenFails('invalid', 'title');
    given(chatSessionDecider)
      .when({ ...start, model: ' ' })
      .thenFails('invalid', 'model');
    given(chatSessionDecider, [started]).when(start).thenFails('conflict');
  });

  it('records what left and what came back as the next turn; nothing before it has started', () => {
    given(chatSessionDecider, [started]).when(exchange).then([exchanged]);
    given(chatSessionDecider, [started, exchanged])
      .when({ ...exchange, requestId: 'r-2' })
      .then([{ ...exchanged, data: { ...exchanged.data, turn: 2, requestId: 'r-2' } }]);
    given(chatSessionDecider).when(exchange).thenFails('not_found');
  });

  it('records a blocked message without any of its text, counting it as a turn', () => {
    given(chatSessionDecider, [started, exchanged])
      .when({ type: 'RecordBlockedChatMessage', analysisId: 'a-2', reasons: ['US_SSN: block'] })
      .then([
        {
          type: 'ChatMessageBlocked',
          data: { sessionId: 's-1', ownerId: 'u-1', turn: 2, analysisId: 'a-2', reasons: ['US_SSN: block'] },
        },
      ]);
  });

  it('folds into the conversation as it left and came back, a blocked message without content', () => {
    const state = fold(chatSessionDecider, [
      started,
      exchanged,
      {
        type: 'ChatMessageBlocked',
        data: { sessionId: 's-1', ownerId: 'u-1', turn: 2, analysisId: null, reasons: [] },
      },
    ]);
    expect(state.turns).toBe(2);
    expect(state.messages.map((m) => [m.turn, m.role, m.content, m.blocked])).toEqual([
      [1, 'user', 'Patient <US_SSN_1> asks', false],
      [1, 'assistant', 'Noted for <US_SSN_1>.', false],
      [2, 'user', null, true],
    ]);
  });
});
