import { z } from 'zod';
import { ACTIONS } from '../../domain/ai-governance/client-ai-governance.js';
import {
  chatSessionDecider,
  chatSessionStream,
  type ChatSessionEvent,
  type ChatSessionState,
} from '../../domain/chat/chat-session.js';
import type { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import { authOf, type Authenticated } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { Id, ListMeta, Paging, Timestamp } from '../../infrastructure/http/contract/schemas.js';
import { notFound, pageOfItems, type ReadDeps } from '../http/reads.js';

const ChatMessage = z.object({
  turn: z.int(),
  role: z.enum(['user', 'assistant']),
  content: z
    .string()
    .nullable()
    .describe(
      'As it left for the AI service or came back: placeholder form (<US_SSN_1>), never a redacted value; "[erased]" once the owner is erased; null for a blocked message, of which nothing is kept',
    ),
  at: Timestamp,
  analysisId: Id.nullable(),
  decision: z.enum(ACTIONS).nullable(),
  blocked: z.boolean(),
  reasons: z.array(z.string()),
});
type ChatMessage = z.output<typeof ChatMessage>;

/**
 * Who reads a session's history: its owner, and those with chat:read-all acting for the whole MSP (or, should a
 * client role ever get it, for that client). Everyone else, in the tenant or not, gets "not found".
 */
function mayRead(actor: Authenticated, session: ChatSessionState): boolean {
  if (session.ownerId === actor.userId) return true;
  return (
    actor.permissions.includes('chat:read-all') && (actor.clientId === null || actor.clientId === session.clientId)
  );
}

/** The AI chat's reads: a session's history, from its own stream (so a read right after a message sees it). */
export function chatReads(deps: ReadDeps & { vault: PersonalDataVault }) {
  return [
    operation({
      operationId: 'chatHistory',
      method: 'get',
      path: '/chat/history/{sessionId}',
      tags: ['chat'],
      summary: "A chat session's messages, in placeholder form, oldest first",
      description:
        "Only what left for the AI service and what came back is kept, never a value the policy redacted. Read by the session's owner, and by MSP users with chat:read-all (MSP admins, auditors).",
      access: { permission: ['chat:use', 'chat:read-all'] },
      params: z.object({ sessionId: Id }),
      query: Paging,
      answers: {
        200: {
          description: 'Messages',
          schema: z.object({
            data: z.array(ChatMessage),
            meta: ListMeta.extend({
              session: z.object({
                sessionId: Id,
                clientId: Id,
                aiServiceId: Id,
                model: z.string(),
                ownerId: Id,
                title: z.string().nullable(),
                startedAt: Timestamp,
              }),
            }),
          }),
        },
        404: { description: 'No such chat session that you may read', problem: true },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const recorded = await deps.eventStore.readStream(chatSessionStream(actor.tenantId, req.params.sessionId));
        const events = await Promise.all(
          recorded.map(async (e) => ({ type: e.type, data: await deps.vault.reveal(e.data) }) as ChatSessionEvent),
        );
        const session = events.reduce(chatSessionDecider.evolve, chatSessionDecider.initialState());
        if (!session.exists || !mayRead(actor, session)) throw notFound('chat session', 'sessionId');
        const messages: ChatMessage[] = [];
        events.forEach((event, i) => {
          const at = recorded[i]!.metadata.recordedAt;
          if (event.type === 'ChatMessageExchanged') {
            const { turn, analysisId, decision, prompt, answer } = event.data;
            const common = { turn, at, analysisId, blocked: false, reasons: [] };
            messages.push({ ...common, role: 'user', content: prompt, decision });
            messages.push({ ...common, role: 'assistant', content: answer, decision: null });
          } else if (event.type === 'ChatMessageBlocked') {
            const { turn, analysisId, reasons } = event.data;
            messages.push({
              turn,
              at,
              role: 'user',
              content: null,
              analysisId,
              decision: 'block',
              blocked: true,
              reasons,
            });
          }
        });
        const paged = pageOfItems(messages, req.query);
        res.json({
          data: paged.data,
          meta: {
            ...paged.meta,
            session: {
              sessionId: session.sessionId!,
              clientId: session.clientId!,
              aiServiceId: session.aiServiceId!,
              model: session.model!,
              ownerId: session.ownerId!,
              title: session.title ?? null,
              startedAt: recorded[0]!.metadata.recordedAt,
            },
          },
        });
      },
    }),
  ];
}
