import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { permissionsOf } from '../../domain/accounts/roles.js';
import { DomainError } from '../../domain/decider.js';
import { GatewayRefusal } from '../../gateway/exchange.js';
import type { SessionStore } from '../../infrastructure/auth/session-store.js';
import type { AccessClaims, AccessTokens } from '../../infrastructure/auth/tokens.js';
import { SubjectErasedError } from '../../infrastructure/crypto-shredding/personal-data.js';
import { Id } from '../../infrastructure/http/contract/schemas.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { canonicalIp } from '../../infrastructure/ip-address.js';
import type { Logger } from '../../infrastructure/logging/logger.js';
import type { ChatConversation } from './conversation.js';
import { chatProblem } from './operations.js';

/**
 * The chat's WebSocket, `/api/v1/chat/ws/{sessionId}`: the answer streamed as it comes.
 *
 * The access token never travels in the URL (URLs end up in logs and proxies' access logs): the first frame must be
 * `{ "type": "authenticate", "token" }` within CHAT_AUTH_TIMEOUT_MS, else the socket is closed with 4401. Then each
 * `{ "type": "message", "content" }` is answered by `{ "type": "delta", "text" }` frames and one
 * `{ "type": "done", … }`, or one `{ "type": "error", "status", "message", … }`. One message at a time.
 *
 * Close codes: 4401 not (or no longer) authenticated, 4403 the role may not chat, 4404 no such session of the caller's
 * (another user's, client's or tenant's alike), 1009 a frame larger than the limit.
 */
const PATH = /^\/api\/v1\/chat\/ws\/([^/]+)$/;

export interface ChatWebSocketOptions {
  conversation: ChatConversation;
  tokens: AccessTokens;
  sessions: SessionStore;
  /** PUBLIC_URL: a browser's Origin must be its origin (cross-site WebSocket hijacking). */
  publicUrl?: string;
  maxChars: number;
  authTimeoutMs: number;
  logger: Logger;
}

/** Refuses an upgrade with a plain HTTP answer, before any WebSocket exists. */
function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * A browser always sends Origin: it must be PUBLIC_URL's, or (without one) the host the request was sent to. Other
 * clients send none, and carry no ambient credentials a foreign page could borrow.
 */
export function originAllowed(req: IncomingMessage, publicUrl: string | undefined): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return publicUrl ? origin === new URL(publicUrl).origin : new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

type Frame = { type: 'authenticate'; token: string } | { type: 'message'; content: string };

function parseFrame(raw: RawData, isBinary: boolean): Record<string, unknown> | null {
  if (isBinary) return null;
  try {
    const value: unknown = JSON.parse(raw.toString());
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Frame) : null;
  } catch {
    return null;
  }
}

/** What a refusal or failure says to the chat's client, without anything of the message. */
function errorFrame(error: unknown): { status: number; message: string; [more: string]: unknown } | null {
  if (error instanceof GatewayRefusal) error = chatProblem(error);
  if (error instanceof HttpProblem) {
    const { errors: _errors, ...extensions } = error.extensions;
    return { ...extensions, status: error.status, code: error.slug, message: error.message };
  }
  if (error instanceof SubjectErasedError) return { status: 410, code: 'gone', message: 'The user has been erased' };
  if (error instanceof DomainError) {
    const status = { invalid: 422, conflict: 409, not_found: 404, forbidden: 403, gone: 410, unauthenticated: 401 };
    return { status: status[error.code], code: error.code, message: error.message };
  }
  return null;
}

export function attachChatWebSocket(server: Server, options: ChatWebSocketOptions) {
  const { conversation, tokens, sessions, logger } = options;
  // A frame holds at most a message of PROMPT_MAX_CHARS characters (4 bytes each at most) and its envelope.
  const sockets = new WebSocketServer({ noServer: true, maxPayload: options.maxChars * 4 + 4096 });

  /** The caller a token stands for, while it is valid and its session not ended; null otherwise. */
  async function caller(token: string): Promise<AccessClaims | null> {
    try {
      const claims = tokens.verify(token);
      return (await sessions.isRevoked(claims.sessionId)) ? null : claims;
    } catch {
      return null;
    }
  }

  function connected(socket: WebSocket, req: IncomingMessage, sessionId: string): void {
    let token: string | null = null;
    let actor: AccessClaims | null = null;
    let answering: AbortController | null = null;
    let frames = Promise.resolve();
    const ip = canonicalIp(req.socket.remoteAddress);
    const send = (frame: object) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
    };
    const unauthenticated = setTimeout(() => socket.close(4401, 'authenticate first'), options.authTimeoutMs);
    socket.on('close', () => {
      clearTimeout(unauthenticated);
      answering?.abort();
    });
    socket.on('error', () => socket.terminate()); // a frame over the limit: ws has already closed it with 1009

    async function authenticate(frame: Record<string, unknown>): Promise<void> {
      clearTimeout(unauthenticated);
      const claims =
        frame.type === 'authenticate' && typeof frame.token === 'string' ? await caller(frame.token) : null;
      if (!claims) return socket.close(4401, 'not authenticated');
      if (!permissionsOf(claims.role).includes('chat:use')) return socket.close(4403, 'your role may not chat');
      try {
        await conversation.ownedSession(claims, sessionId);
      } catch (error) {
        if (error instanceof HttpProblem && error.status === 404) return socket.close(4404, 'no such chat session');
        throw error;
      }
      token = frame.token as string;
      actor = claims;
      send({ type: 'ready', sessionId });
    }

    async function answer(content: string, who: AccessClaims): Promise<void> {
      answering = new AbortController();
      try {
        const { reply } = await conversation.send(who, sessionId, content, {
          signal: answering.signal,
          onDelta: (text) => send({ type: 'delta', text }),
          context: { tenantId: who.tenantId, actorId: who.userId, correlationId: randomUUID(), ip },
        });
        const { answer: _answer, ...done } = reply;
        send({ type: 'done', ...done });
      } catch (error) {
        const refusal = errorFrame(error);
        if (!refusal) logger.error({ err: error, sessionId }, 'a chat message failed');
        send({ type: 'error', ...(refusal ?? { status: 500, message: 'The message could not be answered' }) });
      } finally {
        answering = null;
      }
    }

    async function handle(frame: Record<string, unknown> | null): Promise<void> {
      if (!actor) return frame ? authenticate(frame) : socket.close(4401, 'not authenticated');
      if (!frame || frame.type !== 'message')
        return send({ type: 'error', status: 400, message: 'Send { "type": "message", "content": "…" }' });
      if (answering) return send({ type: 'error', status: 409, message: 'One message at a time: wait for its answer' });
      const content = frame.content;
      if (typeof content !== 'string' || content.length === 0 || content.length > options.maxChars)
        return send({
          type: 'error',
          status: 400,
          message: `content is text of 1 to ${options.maxChars} characters`,
          errors: [{ field: 'content', message: 'expected 1 to PROMPT_MAX_CHARS characters' }],
        });
      // The token may have expired, or the session been ended (logout, a role change), since it authenticated.
      const still = await caller(token!);
      if (!still) return socket.close(4401, 'session ended');
      void answer(content, still); // not awaited: the next frame is read (and refused) while this one is answered
    }

    socket.on('message', (raw, isBinary) => {
      const frame = parseFrame(raw, isBinary);
      frames = frames
        .then(() => handle(frame))
        .catch((error: unknown) => {
          logger.error({ err: error, sessionId }, 'the chat WebSocket failed');
          socket.close(1011, 'internal error');
        });
    });
  }

  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://ledger').pathname;
    const match = PATH.exec(path);
    if (!match) {
      if (server.listenerCount('upgrade') === 1) refuse(socket, 404, 'Not Found');
      return;
    }
    if (!Id.safeParse(match[1]).success) return refuse(socket, 404, 'Not Found');
    if (!originAllowed(req, options.publicUrl)) return refuse(socket, 403, 'Forbidden');
    sockets.handleUpgrade(req, socket, head, (ws) => connected(ws, req, match[1]!));
  });

  return {
    /** Ends every chat socket (the HTTP server's close does not see upgraded connections). */
    close(): Promise<void> {
      for (const client of sockets.clients) client.terminate();
      return new Promise((resolve) => sockets.close(() => resolve()));
    },
  };
}
