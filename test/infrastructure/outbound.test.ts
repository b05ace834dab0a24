import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboundGuard, OutboundRefusedError } from '../../infrastructure/outbound/guard.js';
import { vettedFetch } from '../../infrastructure/outbound/vetted-fetch.js';
import { startDnsServer } from '../support/dns-server.js';
import { startWebhookReceiver } from '../support/receivers.js';

const listening = async (server: Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
};

describe('vetted outbound HTTP (real receivers, a real DNS server)', () => {
  // Two receivers on one port, at 127.0.0.1 and 127.0.0.2: which one a request reaches tells where it connected.
  let first: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let second: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let dns: Awaited<ReturnType<typeof startDnsServer>>;

  beforeAll(async () => {
    first = await startWebhookReceiver((path) =>
      path === '/moved' ? { status: 307, headers: { location: `http://127.0.0.2:${first.port}/stolen` } } : 200,
    );
    second = await startWebhookReceiver(undefined, { host: '127.0.0.2', port: first.port });
    // rebind.test answers 127.0.0.1, then 127.0.0.2; evil.example.com a loopback address however asked.
    dns = await startDnsServer((name, n) => {
      if (name === 'rebind.test') return [n === 1 ? '127.0.0.1' : '127.0.0.2'];
      if (name === 'evil.example.com') return ['127.0.0.1'];
      if (name === 'mixed.example.com') return ['93.184.215.14', '10.0.0.7'];
      if (name === 'mapped.example.com') return ['::ffff:127.0.0.1'];
      if (name === 'hooks.test') return ['127.0.0.1'];
      if (name === 'slow.test') return undefined;
      return [];
    });
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await dns?.close();
  });

  const post = (guard: OutboundGuard, url: string, timeoutMs = 5_000) =>
    vettedFetch(guard, url, {
      method: 'POST',
      body: '{"n":1}',
      headers: { 'content-type': 'application/json' },
      timeoutMs,
    });

  it('resolves once and connects to the address it checked, whatever DNS answers the next time (rebinding)', async () => {
    // Allowlisted so that loopback receivers may stand in for public ones: the name is still resolved once per
    // request, and the connection goes to that answer.
    const guard = new OutboundGuard({ allowedHosts: ['rebind.test'], resolve: dns.resolve });
    const url = `http://rebind.test:${first.port}`;

    const answer = await post(guard, `${url}/one`);
    expect(answer.status).toBe(200);
    expect(dns.lookupsOf('rebind.test')).toBe(1);
    expect(first.to('/one')).toHaveLength(1);
    expect(second.to('/one')).toHaveLength(0);
    expect(first.to('/one')[0]!.headers.host).toBe(`rebind.test:${first.port}`);
    expect(first.to('/one')[0]!.body).toBe('{"n":1}');

    // The next request asks DNS again, once, and goes where that answer says.
    expect((await post(guard, `${url}/two`)).status).toBe(200);
    expect(dns.lookupsOf('rebind.test')).toBe(2);
    expect(second.to('/two')).toHaveLength(1);
    expect(first.to('/two')).toHaveLength(0);
  });

  it('refuses, before connecting, a name any of whose addresses is private, loopback or a mapped loopback', async () => {
    const guard = new OutboundGuard({ allowedHosts: [], resolve: dns.resolve });
    const before = first.requests.length + second.requests.length;
    for (const name of ['evil.example.com', 'mixed.example.com', 'mapped.example.com']) {
      const refused = await post(guard, `https://${name}:${first.port}/steal`).catch((error: unknown) => error);
      expect(refused, name).toBeInstanceOf(OutboundRefusedError);
      expect((refused as OutboundRefusedError).reason).toMatch(/resolves to a private or loopback address/);
    }
    expect(first.requests.length + second.requests.length).toBe(before);
  });

  it('never follows a redirect: the 3xx is the answer', async () => {
    const guard = new OutboundGuard({ allowedHosts: ['127.0.0.1', '127.0.0.2'], resolve: dns.resolve });
    const answer = await post(guard, first.url('/moved'));
    expect(answer.status).toBe(307);
    expect(answer.headers.get('location')).toBe(`http://127.0.0.2:${first.port}/stolen`);
    expect(second.to('/stolen')).toHaveLength(0);
  });

  it('resolves with the system resolver by default, the host name folded first (localhost. is localhost)', async () => {
    const guard = new OutboundGuard({ allowedHosts: ['localhost'] });
    expect((await post(guard, `http://localhost:${first.port}/system`)).status).toBe(200);
    expect(first.to('/system')).toHaveLength(1);
    // getaddrinfo knows no "localhost." here: the guard resolves the folded name, and keeps the Host header as written.
    expect((await post(guard, `http://LOCALHOST.:${first.port}/dotted`)).status).toBe(200);
    expect(first.to('/dotted')[0]!.headers.host).toBe(`localhost.:${first.port}`);
    // Not allowlisted, the same name is refused before any look-up.
    await expect(post(new OutboundGuard({ allowedHosts: [] }), `https://localhost.:${first.port}/x`)).rejects.toThrow(
      OutboundRefusedError,
    );
  });

  it('sends the host name as TLS SNI, without its trailing dot, and checks the certificate', async () => {
    const seen: string[] = [];
    // No certificate at all: the handshake fails after the client has said which name it wants.
    const tls = createTlsServer({ SNICallback: (name, done) => (seen.push(name), done(new Error('no certificate'))) });
    const port = await listening(tls);
    try {
      const guard = new OutboundGuard({ allowedHosts: ['hooks.test'], resolve: dns.resolve });
      await expect(post(guard, `https://hooks.test.:${port}/x`)).rejects.toThrow();
      expect(seen).toEqual(['hooks.test']);
    } finally {
      await new Promise((resolve) => tls.close(resolve));
    }
  });

  it('gives up after timeoutMs, whether DNS, the answer or its body is slow', async () => {
    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => void sockets.push(socket));
    const port = await listening(silent);
    // Headers at once, then a body that never ends.
    const trickle = createHttpServer((_req, res) => (res.writeHead(200), res.write('{')));
    const tricklePort = await listening(trickle);
    try {
      const guard = new OutboundGuard({ allowedHosts: ['127.0.0.1', 'slow.test'], resolve: dns.resolve });
      for (const url of [`http://127.0.0.1:${port}/never`, `http://slow.test:${port}/never`]) {
        const started = performance.now();
        await expect(post(guard, url, 300)).rejects.toMatchObject({ name: 'TimeoutError' });
        expect(performance.now() - started).toBeLessThan(1_500);
      }
      const started = performance.now();
      const answer = await post(guard, `http://127.0.0.1:${tricklePort}/slow-body`, 300);
      expect(answer.status).toBe(200);
      await expect(answer.text()).rejects.toThrow();
      expect(performance.now() - started).toBeLessThan(1_500);
    } finally {
      for (const socket of sockets) socket.destroy();
      trickle.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
      await new Promise((resolve) => trickle.close(resolve));
    }
  });
});
