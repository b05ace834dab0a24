import { randomUUID } from 'node:crypto';
import { aiServiceDecider, aiServiceStream } from '../../domain/ai-governance/ai-service.js';
import { clientAiDecider, clientAiStream } from '../../domain/ai-governance/client-ai-governance.js';
import {
  chatSessionDecider,
  chatSessionPersonalData,
  chatSessionStream,
  type ChatSessionState,
} from '../../domain/chat/chat-session.js';
import { clientDecider, clientStream } from '../../domain/clients/client.js';
import { DomainError } from '../../domain/decider.js';
import type { GatewayCaller } from '../../gateway/caller.js';
import type { GatewayDeps } from '../../gateway/deps.js';
import {
  exchangeChat,
  GatewayRefusal,
  type ChatExchangeResult,
  type ChatTurn,
  type ContentPart,
} from '../../gateway/exchange.js';
import { assertClientAccess, type Authenticated } from '../../infrastructure/http/authentication.js';
import { notFound } from '../../infrastructure/http/problem.js';
import type { CommandContext, CommandResult } from '../http/command-handler.js';

export const chatSessions = { decider: chatSessionDecider, personalData: chatSessionPersonalData };

/** Who chats: the signed-in user, as the API's authentication or the WebSocket's first message found them. */
export type ChatActor = Pick<Authenticated, 'userId' | 'tenantId' | 'clientId'>;

export interface ChatReply {
  sessionId: string;
  turn: number;
  /** The answer for the caller: its placeholders restored to the caller's own values. Never stored. */
  answer: string;
  decision: ChatExchangeResult['decision'];
  analysisId: string;
  requestId: string;
  finishReason: string;
  usage: ChatExchangeResult['usage'];
}

const textOf = (content: ChatTurn['content']): string =>
  typeof content === 'string'
    ? content
    : (content ?? [])
        .filter((part): part is Extract<ContentPart, { type: 'text' }> => part.type === 'text')
        .map((part) => part.text)
        .join('');

/**
 * The ledger's AI chat, for a client's signed-in users: each message goes through the gateway's one path
 * (exchangeChat: routing, analysis, redaction, output policy, restoration, recording) as a caller without a key, and
 * what left and what came back is appended to the session, in placeholder form, sealed under the owner.
 */
export function chatConversation(deps: GatewayDeps) {
  const { handler, resources } = deps;

  async function activeClient(tenantId: string, clientId: string): Promise<void> {
    const { state } = await handler.load({ decider: clientDecider }, clientStream(tenantId, clientId));
    if (state.status !== 'active') throw notFound('active client', 'clientId');
  }

  /** The service a new session talks to: the one named (approved for the client), or an approved one serving `model`. */
  async function serviceFor(
    tenantId: string,
    clientId: string,
    asked: { aiServiceId?: string; model?: string },
  ): Promise<{ aiServiceId: string; model: string }> {
    const governance = (await handler.load({ decider: clientAiDecider }, clientAiStream(tenantId, clientId))).state;
    const approved = Object.entries(governance.services)
      .filter(([, status]) => status === 'approved')
      .map(([id]) => id)
      .filter((id) => asked.aiServiceId === undefined || id === asked.aiServiceId)
      .sort();
    const services = await Promise.all(
      approved.map(async (id) => ({
        id,
        profile: (await handler.load({ decider: aiServiceDecider }, aiServiceStream(tenantId, id))).state.profile,
      })),
    );
    if (asked.aiServiceId !== undefined) {
      const profile = services[0]?.profile;
      if (!profile) throw notFound('AI service approved for this client', 'aiServiceId');
      const model = asked.model ?? profile.models[0];
      if (model === undefined) throw new DomainError('invalid', 'The AI service names no model: give one', 'model');
      if (!profile.models.includes(model))
        throw new DomainError('invalid', 'The AI service does not serve this model', 'model');
      return { aiServiceId: asked.aiServiceId, model };
    }
    const serving = services.find((service) => service.profile?.models.includes(asked.model!));
    if (!serving) throw new DomainError('invalid', 'No AI service approved for this client serves this model', 'model');
    return { aiServiceId: serving.id, model: asked.model! };
  }

  /** A session of the caller's own: another user's, another client's or another tenant's is "not found". */
  async function ownedSession(actor: ChatActor, sessionId: string): Promise<ChatSessionState> {
    const { state } = await handler.load(chatSessions, chatSessionStream(actor.tenantId, sessionId));
    if (!state.exists || state.ownerId !== actor.userId) throw notFound('chat session', 'sessionId');
    return state;
  }

  return {
    ownedSession,

    async start(
      actor: ChatActor,
      body: { clientId: string; aiServiceId?: string; model?: string; title?: string },
      context: CommandContext,
    ) {
      if (body.aiServiceId === undefined && body.model === undefined)
        throw new DomainError('invalid', 'Name the AI service (aiServiceId), its model, or both', 'aiServiceId');
      assertClientAccess(actor as Authenticated, body.clientId);
      await activeClient(actor.tenantId, body.clientId);
      const { aiServiceId, model } = await serviceFor(actor.tenantId, body.clientId, body);
      const sessionId = randomUUID();
      const result = await handler.execute(
        chatSessions,
        chatSessionStream(actor.tenantId, sessionId),
        {
          type: 'StartChatSession',
          sessionId,
          clientId: body.clientId,
          aiServiceId,
          model,
          ownerId: actor.userId,
          title: body.title ?? null,
        },
        context,
        { expect: 'new' },
      );
      return { session: result.events[0]!.data, result };
    },

    /**
     * Sends one message of the caller's session with the conversation so far (as it left and came back), and
     * records the exchange. A refusal is thrown as the GatewayRefusal the gateway recorded; a blocked message is
     * also counted in the session, without any of its text.
     */
    async send(
      actor: ChatActor,
      sessionId: string,
      content: string,
      options: { signal: AbortSignal; onDelta?: (text: string) => void; context: CommandContext },
    ): Promise<{ reply: ChatReply; position: CommandResult<unknown, unknown>['position'] }> {
      const session = await ownedSession(actor, sessionId);
      await activeClient(actor.tenantId, session.clientId!);
      const caller: GatewayCaller = {
        tenantId: actor.tenantId,
        clientId: session.clientId!,
        keyId: null,
        userId: actor.userId,
        // The user id, not the address: it names the user without being personal data of its own.
        userRef: actor.userId,
        userRefHash: resources.tenantHash(actor.tenantId, 'user-ref', actor.userId),
        aiServiceIds: [session.aiServiceId!],
        requestsPerMinute: null,
      };
      const history: ChatTurn[] = session.messages
        .filter((message) => message.content !== null)
        .map((message) => ({ role: message.role, content: message.content }));
      const stream = chatSessionStream(actor.tenantId, sessionId);
      let result: ChatExchangeResult;
      try {
        result = await exchangeChat(
          deps,
          caller,
          { model: session.model!, messages: [...history, { role: 'user', content }], stream: !!options.onDelta },
          { signal: options.signal, onDelta: options.onDelta, streamed: !!options.onDelta },
        );
      } catch (error) {
        if (error instanceof GatewayRefusal && error.error.type === 'policy_violation') {
          await handler.execute(
            chatSessions,
            stream,
            {
              type: 'RecordBlockedChatMessage',
              analysisId: error.analysisId ?? error.error.analysis_id ?? null,
              reasons: error.error.reasons ?? [],
            },
            options.context,
            { expect: 'existing' },
          );
        }
        throw error;
      }
      const sent = result.sent[result.sent.length - 1];
      const recorded = await handler.execute(
        chatSessions,
        stream,
        {
          type: 'RecordChatExchange',
          requestId: result.requestId,
          analysisId: result.analysisId,
          decision: result.decision,
          prompt: sent ? textOf(sent.content) : '',
          answer: result.answerAsReceived,
          finishReason: result.finishReason,
          tokensIn: result.usage.tokensIn,
          tokensOut: result.usage.tokensOut,
        },
        options.context,
        { expect: 'existing' },
      );
      const reply: ChatReply = {
        sessionId,
        turn: recorded.state.turns,
        answer: result.answer,
        decision: result.decision,
        analysisId: result.analysisId,
        requestId: result.requestId,
        finishReason: result.finishReason,
        usage: result.usage,
      };
      return { reply, position: recorded.position };
    },
  };
}

export type ChatConversation = ReturnType<typeof chatConversation>;
