import { describe, expect, it } from 'vitest';
import { OutboundGuard } from '../../infrastructure/outbound/guard.js';
import { newWebhookSecret, sign, signatureHeaders, verify } from '../../infrastructure/webhooks/signing.js';

describe('webhook signatures (Standard Webhooks)', () => {
  it("matches the specification's published example", () => {
    // From the Standard Webhooks test vectors.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"test": 2432232314}';
    expect(sign(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('verifies its own headers, and refuses another body, another secret or an old timestamp', () => {
    const secret = newWebhookSecret();
    const now = new Date('2026-11-22T10:00:00Z');
    const headers = signatureHeaders(secret, 'evt-1', '{"a":1}', now);
    expect(verify(secret, headers, '{"a":1}', now)).toBe(true);
    expect(verify(secret, headers, '{"a":2}', now)).toBe(false);
    expect(verify(newWebhookSecret(), headers, '{"a":1}', now)).toBe(false);
    expect(verify(secret, headers, '{"a":1}', new Date(now.getTime() + 10 * 60_000))).toBe(false);
  });
});

describe('webhook address guard', () => {
  const guard = new OutboundGuard({ allowedHosts: ['127.0.0.1', 'hooks.internal:8443'] });

  it.each([
    'https://10.1.2.3/x',
    'https://192.168.0.1/x',
    'https://[fd00::1]/x',
    'https://[::ffff:127.0.0.2]/x',
    'https://169.254.169.254/x',
    'https://203.0.113.7/x',
    'https://localhost/x',
    'https://printer.local/x',
    'https://intranet/x',
    'http://example.com/x',
    'ftp://example.com/x',
    'https://user:pw@example.com/x',
    'https://hooks.internal/x',
    'https://hooks.internal.:9443/x',
  ])('refuses %s', (url) => expect(guard.checkUrl(url)).not.toBeNull());

  const strict = new OutboundGuard({ allowedHosts: [] });

  it.each([
    // Trailing dots: the same names to DNS.
    'https://localhost./x',
    'https://LOCALHOST../x',
    'https://localhost%2e/x',
    'https://metadata.google.internal./computeMetadata/v1/',
    'https://printer.local./x',
    'https://intranet./x',
    'https://169.254.169.254./latest/meta-data/',
    // Names no public DNS answers for: private-use and special-use suffixes.
    'https://files.corp/x',
    'https://router.lan/x',
    'https://nas.home.arpa/x',
    'https://1.0.0.127.in-addr.arpa/x',
    'https://app.test/x',
    'https://x.localhost/x',
    // Every spelling of 127.0.0.1 and friends (WHATWG URL turns them into dotted quads).
    'https://2130706433/x',
    'https://0x7f.1/x',
    'https://0x7f000001/x',
    'https://0177.0.0.1/x',
    'https://127.1/x',
    'https://0/x',
    'https://ⓛocalhost/x',
    'https://%6c%6f%63%61%6c%68%6f%73%74/x',
    // IPv6: loopback, unspecified, mapped, compatible, NAT64, 6to4 and Teredo wrappings of private addresses.
    'https://[::1]/x',
    'https://[::]/x',
    'https://[::ffff:127.0.0.1]/x',
    'https://[0:0:0:0:0:ffff:7f00:1]/x',
    'https://[::ffff:a9fe:a9fe]/x',
    'https://[::127.0.0.1]/x',
    'https://[::ffff:0:7f00:1]/x',
    'https://[64:ff9b::7f00:1]/x',
    'https://[64:ff9b::a9fe:a9fe]/x',
    'https://[64:ff9b:1::a00:1]/x',
    'https://[2002:7f00:1::]/x',
    'https://[2001::1]/x',
    'https://[fe80::1]/x',
    'https://[ff02::1]/x',
  ])('refuses %s however it is spelt', (url) => expect(strict.checkUrl(url)).not.toBeNull());

  it.each([
    'https://hooks.example.com/ledger',
    'https://8.8.8.8/x',
    'http://127.0.0.1:9000/hook',
    'https://hooks.internal:8443/x',
    'https://hooks.example.com./ledger',
    'https://HOOKS.Example.COM/ledger',
    'https://пример.рф/hook',
    'https://[2606:4700:4700::1111]/x',
    // NAT64 of a public address: how an IPv6-only network with DNS64 reaches IPv4 receivers.
    'https://[64:ff9b::808:808]/x',
    // The allowlist holds whatever spelling the URL uses.
    'https://HOOKS.internal.:8443/x',
    'http://2130706433:9000/hook',
    'http://[::ffff:127.0.0.1]:9000/hook',
  ])('accepts %s', (url) => expect(guard.checkUrl(url)).toBeNull());
});

describe('outbound guard: allowlist and resolution', () => {
  it('matches allowlist entries written in any spelling a URL accepts, with or without a port', () => {
    const guard = new OutboundGuard({ allowedHosts: ['0x7f.1', 'HOOKS.internal.', '[::1]:8443', 'relay.internal:80'] });
    for (const url of [
      'http://127.0.0.1/x',
      'http://[::ffff:7f00:1]:3000/x',
      'http://hooks.internal./x',
      'http://[::1]:8443/x',
      'http://relay.internal/x',
    ])
      expect(guard.checkUrl(url), url).toBeNull();
    for (const url of ['http://[::1]:9443/x', 'http://relay.internal:8080/x', 'https://relay.internal/x'])
      expect(guard.checkUrl(url), url).not.toBeNull();
    expect(() => new OutboundGuard({ allowedHosts: ['https://hooks.internal/path'] })).toThrow(/not a host/);
  });

  it('resolves a name once, checks every address, and never resolves an IP', async () => {
    const asked: string[] = [];
    const answers: Record<string, string[]> = {
      'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
      'split.example.com': ['93.184.215.14', '192.168.1.20'],
      'empty.example.com': [],
    };
    const guard = new OutboundGuard({
      allowedHosts: [],
      resolve: async (hostname) => {
        asked.push(hostname);
        return (answers[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      },
    });
    const vetted = await guard.vet('https://HOOKS.example.com./ledger');
    expect(vetted.hostname).toBe('hooks.example.com');
    expect(vetted.addresses.map((a) => a.address)).toEqual(answers['hooks.example.com']);
    await expect(guard.vet('https://split.example.com/x')).rejects.toThrow(/192\.168\.1\.20/);
    await expect(guard.vet('https://empty.example.com/x')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect((await guard.vet('https://[::ffff:8.8.8.8]/x')).addresses).toEqual([{ address: '8.8.8.8', family: 4 }]);
    await expect(guard.vet('https://localhost./x')).rejects.toThrow(/not a public host name/);
    expect(asked).toEqual(['hooks.example.com', 'split.example.com', 'empty.example.com']);
  });
});
