import { z } from 'zod';
import { ACTIONS } from '../../domain/ai-governance/client-ai-governance.js';
import { CHAT_TITLE_MAX } from '../../domain/chat/chat-session.js';
import { GatewayRefusal } from '../../gateway/exchange.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { commandAnswer, Id } from '../../infrastructure/http/contract/schemas.js';
import type { StoredAnswerRules } from '../../infrastructure/http/idempotency.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { commandContext } from '../http/context.js';
import { sendCommandResult } from '../http/responses.js';
import type { ChatConversation } from './conversation.js';

const tags = ['chat'] as const;
const use = { permission: 'chat:use' } as const;

const StartRequest = z
  .strictObject({
    clientId: Id,
    aiServiceId: Id.optional().describe('The approved service to talk to; without it, one that serves `model`'),
    model: z.string().min(1).max(100).optional().describe("One of the service's models; its first by default"),
    title: z.string().max(CHAT_TITLE_MAX).optional(),
  })
  .describe('Name the service, the model, or both');

export const ChatSession = z.object({
  sessionId: Id,
  clientId: Id,
  aiServiceId: Id,
  model: z.string(),
  ownerId: Id,
  title: z.string().nullable(),
});

/** The title is the owner's personal data (sealed in the log): the idempotency store keeps none of it. */
const sessionAnswer: StoredAnswerRules = {
  withheld: ['title'],
  restore: (data, req) => ({ ...data, title: (req.body as { title?: string }).title?.trim() || null }),
};

/** A refusal of the gateway's path, as a problem of this API (the gateway itself answers OpenAI's error shape). */
export function chatProblem(refusal: GatewayRefusal): HttpProblem {
  const { error } = refusal;
  const ids = {
    ...(refusal.analysisId || error.analysis_id ? { analysisId: refusal.analysisId ?? error.analysis_id } : {}),
    ...(refusal.requestId ? { requestId: refusal.requestId } : {}),
  };
  if (error.type === 'policy_violation') {
    return new HttpProblem(422, 'policy-violation', "Blocked by the client's AI usage policy", error.message, {
      errors: [{ field: 'content', message: error.message }],
      reasons: error.reasons ?? [],
      ...ids,
    });
  }
  const slug = (error.code ?? error.type).replaceAll('_', '-');
  return new HttpProblem(refusal.status, slug, 'The AI service did not answer', error.message, ids);
}

/** The AI chat's writes: starting a session, sending a message (the WebSocket streams the same exchange). */
export function chatCommands(conversation: ChatConversation, limits: { maxChars: number }) {
  return [
    operation({
      operationId: 'startChatSession',
      method: 'post',
      path: '/chat/sessions',
      tags,
      summary: "Start a chat session of one's own with an AI service approved for a client",
      description:
        'The session belongs to the caller: only they send messages in it; its history is read by them and by those with chat:read-all (MSP). The title is sealed under the owner and erased with them.',
      access: use,
      headers: ['Idempotency-Key'],
      storedAnswer: sessionAnswer,
      body: StartRequest,
      answers: {
        201: { description: 'Started', schema: commandAnswer(ChatSession) },
        404: { description: 'No such active client, or no such service approved for it', problem: true },
        422: { description: 'The service does not serve the model, or none approved does', problem: true },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const { session, result } = await conversation.start(actor, req.body, commandContext(req, res));
        res.setHeader('Location', `/api/v1/chat/history/${session.sessionId}`);
        sendCommandResult(res, 201, session, result);
      },
    }),
    operation({
      operationId: 'sendChatMessage',
      method: 'post',
      path: '/chat/message',
      tags,
      summary: "Send a message in one's own chat session and get the AI service's answer",
      description:
        "The message goes through the gateway's path: the client's usage policy (block, redact, warn), the output policy, and the answer with the caller's own values restored. The session keeps only what left and what came back, in placeholder form. No Idempotency-Key: a retried message is a new exchange, and the restored answer is never stored to be replayed.",
      access: use,
      body: z.strictObject({ sessionId: Id, content: z.string().min(1).max(limits.maxChars) }),
      answers: {
        200: {
          description: "The assistant's answer, restored for the caller",
          schema: commandAnswer(
            z.object({
              sessionId: Id,
              turn: z.int(),
              answer: z.string(),
              decision: z.enum(ACTIONS),
              analysisId: Id,
              requestId: Id,
              finishReason: z.string(),
              usage: z.object({
                tokensIn: z.int(),
                tokensOut: z.int(),
                source: z.enum(['provider', 'counted']),
              }),
            }),
          ),
        },
        404: { description: 'No such chat session of yours', problem: true },
        422: { description: "Blocked by the client's AI usage policy (reasons, analysisId)", problem: true },
        429: { description: 'A rate or the monthly token budget is exhausted', problem: true },
        502: { description: 'The AI service answered with an error', problem: true },
        504: { description: 'The AI service did not answer in time', problem: true },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const aborted = new AbortController();
        // The caller went away: stop waiting for the service (the gateway records the request as cancelled).
        res.on('close', () => {
          if (!res.writableFinished) aborted.abort();
        });
        try {
          const { reply, position } = await conversation.send(actor, req.body.sessionId, req.body.content, {
            signal: aborted.signal,
            context: commandContext(req, res),
          });
          res.json({ data: reply, meta: { position } });
        } catch (error) {
          throw error instanceof GatewayRefusal ? chatProblem(error) : error;
        }
      },
    }),
  ];
}
