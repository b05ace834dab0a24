import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer of the FAKE provider. */
export interface FakeAnswer {
  /** An error status, answered with an OpenAI-shaped error body. */
  status?: number;
  /** The answer's text; streamed in `chunks` when given (their concatenation should be `content`). */
  content?: string;
  chunks?: string[];
  /** The usage to report (streamed: only when the request asked for it); null: none at all. */
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
  toolCalls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  /** Never answers (until the server closes): the gateway's timeout fires. */
  hang?: boolean;
  /** Streamed: the connection is destroyed after this many chunks. */
  cutAfter?: number;
}

export interface ReceivedRequest {
  path: string;
  authorization?: string;
  body: Record<string, unknown> & { messages?: Array<{ role: string; content: unknown }>; input?: unknown };
}

/**
 * A FAKE OpenAI-compatible provider (chat completions and embeddings), for the one third party the tests cannot run:
 * an LLM provider. Answers are scripted per request (a queue, else the default); everything it received is kept, so
 * a test can prove what reached the provider and what never did.
 */
export async function startFakeOpenAiProvider() {
  const received: ReceivedRequest[] = [];
  const queue: FakeAnswer[] = [];
  let fallback: FakeAnswer = { content: 'Hello from the fake provider.' };
  const hanging = new Set<ServerResponse>();

  const read = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => resolve(body));
    });

  const server = createServer(async (req, res) => {
    const text = await read(req);
    const path = req.url ?? '';
    if (req.method !== 'POST' || (path !== '/v1/chat/completions' && path !== '/v1/embeddings'))
      return void res.writeHead(404).end();
    const body = JSON.parse(text) as ReceivedRequest['body'];
    received.push({ path, authorization: req.headers.authorization, body });
    const answer = queue.shift() ?? fallback;
    if (answer.hang) return void hanging.add(res);
    if (answer.status && answer.status >= 400) {
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      return void res.end(
        JSON.stringify({
          error: {
            message: answer.content ?? 'the fake provider fails',
            type: 'server_error',
            param: null,
            code: null,
          },
        }),
      );
    }
    const usage = answer.usage === undefined ? { prompt_tokens: 11, completion_tokens: 7 } : answer.usage;
    if (path === '/v1/embeddings') {
      const inputs = typeof body.input === 'string' ? [body.input] : (body.input as string[]);
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(
        JSON.stringify({
          object: 'list',
          data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.1, 0.2, 0.3] })),
          model: body.model,
          usage: usage ? { prompt_tokens: usage.prompt_tokens, total_tokens: usage.prompt_tokens } : undefined,
        }),
      );
    }
    const content = answer.content ?? (answer.chunks ?? []).join('');
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(
        JSON.stringify({
          id: 'chatcmpl-fake',
          object: 'chat.completion',
          created: 1,
          model: body.model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content, ...(answer.toolCalls ? { tool_calls: answer.toolCalls } : {}) },
              finish_reason: answer.toolCalls ? 'tool_calls' : 'stop',
            },
          ],
          ...(usage ? { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } } : {}),
        }),
      );
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // Each chunk is on the wire before the next is written: chunk boundaries are what the test chose.
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      new Promise<void>((resolve) =>
        res.write(
          `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model: body.model, choices, ...extra })}\n\n`,
          () => resolve(),
        ),
      );
    const pieces = answer.chunks ?? [content];
    await chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
    for (const [i, piece] of pieces.entries()) {
      if (answer.cutAfter !== undefined && i >= answer.cutAfter) return void res.socket?.destroy();
      await chunk([{ index: 0, delta: { content: piece }, finish_reason: null }]);
    }
    await chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]);
    const wanted = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage;
    if (usage && wanted)
      chunk([], { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } });
    res.end('data: [DONE]\n\n');
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    received,
    /** The next answers, in order; then the default. */
    script(...answers: FakeAnswer[]) {
      queue.push(...answers);
    },
    /** Drops the answers scripted and not yet given. */
    clearScript() {
      queue.length = 0;
    },
    answerByDefault(answer: FakeAnswer) {
      fallback = answer;
    },
    /** Everything the provider received, as one string (to look for values that must never reach it). */
    seen: () => JSON.stringify(received),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FakeOpenAiProvider = Awaited<ReturnType<typeof startFakeOpenAiProvider>>;
