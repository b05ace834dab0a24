import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import type { AddressInfo } from 'node:net';
import dnsPacket from 'dns-packet';
import type { ResolvedAddress, Resolver as OutboundResolver } from '../../infrastructure/outbound/guard.js';

/**
 * A real DNS server over UDP whose answers a test scripts: `answer(name, n)` gives the addresses for the n-th A (or
 * AAAA) question about a name, 1-based, with TTL 0, the way a rebinding attacker's server answers; undefined leaves
 * the question unanswered. `resolve` asks it through Node's own DNS client, for A and AAAA records together.
 */
export async function startDnsServer(answer: (name: string, n: number) => string[] | undefined) {
  const socket = createSocket('udp4');
  const counts = new Map<string, number>();
  const questions: string[] = [];
  socket.on('message', (message, remote) => {
    const query = dnsPacket.decode(message);
    const question = query.questions?.[0];
    if (!question) return;
    const name = question.name.toLowerCase();
    const key = `${question.type} ${name}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    questions.push(key);
    const scripted = question.type === 'A' || question.type === 'AAAA' ? answer(name, n) : [];
    if (!scripted) return;
    const addresses = scripted.filter((a) => a.includes(':') === (question.type === 'AAAA'));
    const response = dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
      questions: [question],
      answers: addresses.map((data) => ({
        type: question.type as 'A',
        name: question.name,
        class: 'IN',
        ttl: 0,
        data,
      })),
    });
    socket.send(response, remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const port = (socket.address() as AddressInfo).port;
  const client = new Resolver({ timeout: 2000, tries: 1 });
  client.setServers([`127.0.0.1:${port}`]);
  const none = (error: NodeJS.ErrnoException): string[] => {
    if (error.code === 'ENODATA' || error.code === 'ENOTFOUND') return [];
    throw error;
  };
  const resolve: OutboundResolver = async (hostname) => {
    const [v4, v6] = await Promise.all([client.resolve4(hostname).catch(none), client.resolve6(hostname).catch(none)]);
    return [
      ...v4.map((address): ResolvedAddress => ({ address, family: 4 })),
      ...v6.map((address): ResolvedAddress => ({ address, family: 6 })),
    ];
  };
  return {
    resolve,
    /** The A questions asked about a name so far. */
    lookupsOf: (name: string) => questions.filter((q) => q === `A ${name}`).length,
    close: () => new Promise<void>((done) => socket.close(() => done())),
  };
}
