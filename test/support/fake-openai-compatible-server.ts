import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A FAKE OpenAI-compatible chat completions server, for the one third party the tests cannot run: an LLM provider.
 * It records what it was asked and answers with whatever the test sets, streamed (server-sent events) when asked to.
 */
export async function startFakeOpenAiCompatibleServer() {
  const requests: Array<{
    authorization?: string;
    body: { model: string; messages: Array<{ role: string; content: string }> };
  }> = [];
  let answer: { status: number; content: string; chunks?: string[] } = {
    status: 200,
    content: '# Drafted policy\n\nText.\n',
  };
  const read = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => resolve(body));
    });
  const server = createServer(async (req, res) => {
    const body = await read(req);
    if (req.url !== '/v1/chat/completions') return void res.writeHead(404).end();
    const parsed = JSON.parse(body) as (typeof requests)[number]['body'] & { stream?: boolean };
    requests.push({ authorization: req.headers.authorization, body: parsed });
    if (parsed.stream && answer.status === 200) {
      // Streamed as OpenAI does: server-sent events of chunks, then [DONE].
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const piece of answer.chunks ?? [answer.content])
        res.write(
          `data: ${JSON.stringify({ id: 'fake', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })}\n\n`,
        );
      res.write(
        `data: ${JSON.stringify({ id: 'fake', object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
      );
      return void res.end('data: [DONE]\n\n');
    }
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'fake',
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: answer.content } }],
      }),
    );
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    /** The answer to give; `chunks` (joining to `content`) are how a streamed request gets it. */
    answerWith(status: number, content: string, chunks?: string[]) {
      answer = { status, content, chunks };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
