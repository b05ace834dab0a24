import { describe, expect, it } from 'vitest';
import { WebhookAddressGuard } from '../../infrastructure/webhooks/address-guard.js';
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
  const guard = new WebhookAddressGuard(['127.0.0.1', 'hooks.internal:8443']);

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
  ])('refuses %s', (url) => expect(guard.checkUrl(url)).not.toBeNull());

  it.each([
    'https://hooks.example.com/ledger',
    'https://8.8.8.8/x',
    'http://127.0.0.1:9000/hook',
    'https://hooks.internal:8443/x',
  ])('accepts %s', (url) => expect(guard.checkUrl(url)).toBeNull());
});
