import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A FAKE OpenAI-compatible chat completions server, for the one third party the tests cannot run: an LLM provider.
 * It records what it was asked and answers with whatever the test sets.
 */
export async function startFakeOpenAiCompatibleServer() {
  const requests: Array<{
    authorization?: string;
    body: { model: string; messages: Array<{ role: string; content: string }> };
  }> = [];
  let answer: { status: number; content: string } = { status: 200, content: '# Drafted policy\n\nText.\n' };
  const read = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => resolve(body));
    });
  const server = createServer(async (req, res) => {
    const body = await read(req);
    if (req.url !== '/v1/chat/completions') return void res.writeHead(404).end();
    requests.push({ authorization: req.headers.authorization, body: JSON.parse(body) });
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
    answerWith(status: number, content: string) {
      answer = { status, content };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
