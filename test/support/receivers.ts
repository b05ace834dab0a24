import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { SMTPServer } from 'smtp-server';
import { uniqueName } from './services.js';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  /** The raw message with quoted-printable undone, as a mail client shows it. */
  text: string;
}

/** A real receiving SMTP peer (the smtp-server package), so the production mail path runs end to end. */
export async function startSmtpReceiver() {
  const received: ReceivedMail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      stream.on('end', () => {
        const text = raw
          .replace(/=\r?\n/g, '')
          .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          text,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  const port = (smtp.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    /** The newest mail to an address. */
    lastTo(email: string): ReceivedMail {
      const mail = [...received].reverse().find((m) => m.to.includes(email));
      if (!mail) throw new Error(`No mail to ${email}`);
      return mail;
    },
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
}

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A local HTTP endpoint standing in for an integrator's webhook receiver. `answer(path, n)` gives the status (or the
 * status and headers) for the n-th request (1-based) to a path: 200 by default. It listens on 127.0.0.1 and a free
 * port unless told another loopback address or port (a second receiver on 127.0.0.2 and the same port tells which
 * address a client connected to).
 */
export async function startWebhookReceiver(
  answer: (path: string, n: number) => number | { status: number; headers: Record<string, string> } = () => 200,
  listen: { host?: string; port?: number } = {},
) {
  const requests: ReceivedRequest[] = [];
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const path = req.url ?? '/';
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      requests.push({ path, headers: req.headers, body });
      const answered = answer(path, n);
      const { status, headers } = typeof answered === 'number' ? { status: answered, headers: {} } : answered;
      res.writeHead(status, headers);
      res.end();
    });
  });
  const host = listen.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(listen.port ?? 0, host, () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path: string) => `http://${host}:${port}${path}`,
    requests,
    to: (path: string) => requests.filter((r) => r.path === path),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Everything on a Kafka topic so far, read by a fresh consumer group from the beginning. */
export async function readTopic(
  brokers: string[],
  topic: string,
  atLeast: number,
  timeoutMs = 30_000,
): Promise<Array<{ key: string; value: string; headers: Record<string, string> }>> {
  const kafka = new Kafka({ clientId: uniqueName('reader'), brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: uniqueName('reader') });
  const messages: Array<{ key: string; value: string; headers: Record<string, string> }> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        messages.push({
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (messages.length < atLeast && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    // A moment more, so that a duplicate arriving right behind is seen too.
    await new Promise((resolve) => setTimeout(resolve, 500));
    return messages;
  } finally {
    await consumer.disconnect();
  }
}
