import { describe, expect, it } from 'vitest';
import { ConfigError, isEmbedded, loadConfig } from '../../infrastructure/config/config.js';

describe('configuration from the environment', () => {
  it('starts on the embedded default with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      DATA_DIR: './data',
      EVENT_STORE: 'postgres',
      LEDGER_ROLE: 'all',
      LOG_LEVEL: 'info',
    });
    expect(isEmbedded(config)).toBe(true);
  });

  it('reads and converts the values it is given', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://ledger@db:5432/ledger',
      KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092',
      MASTER_KEY: key,
      REDIS_URL: '',
    });
    expect(config.PORT).toBe(8080);
    expect(config.KAFKA_BROKERS).toEqual(['kafka-1:9092', 'kafka-2:9092']);
    expect(config.MASTER_KEY).toEqual(Buffer.alloc(32, 7));
    expect(config.REDIS_URL).toBeUndefined();
    expect(isEmbedded(config)).toBe(false);
  });

  it('reports every bad value by name with what was expected', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        KAFKA_BROKERS: 'no-port',
        LOG_LEVEL: 'loud',
        EVENT_STORE: 'eventstoredb',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = Object.fromEntries((error as ConfigError).problems.map((p) => [p.variable, p.message]));
    expect(Object.keys(problems).sort()).toEqual(['DATABASE_URL', 'ESDB_URL', 'KAFKA_BROKERS', 'LOG_LEVEL', 'PORT']);
    expect(problems.PORT).toMatch(/port/);
    expect(problems.DATABASE_URL).toMatch(/postgres/);
    expect(problems.KAFKA_BROKERS).toMatch(/host:port/);
    expect(problems.ESDB_URL).toMatch(/required when EVENT_STORE=eventstoredb/);
    expect((error as Error).message).toContain('LOG_LEVEL');
  });

  it('reads the hosts outbound calls may reach, in any spelling a URL accepts, and names a bad one', () => {
    expect(
      loadConfig({ WEBHOOK_ALLOWED_HOSTS: 'Hooks.Internal:8443, 127.0.0.1,[::1]:9000' }).WEBHOOK_ALLOWED_HOSTS,
    ).toEqual(['hooks.internal:8443', '127.0.0.1', '[::1]:9000']);
    expect(() => loadConfig({ WEBHOOK_ALLOWED_HOSTS: 'hooks.internal, https://x.example.com/hook' })).toThrow(
      /WEBHOOK_ALLOWED_HOSTS: expected comma-separated hosts or host:port.*"https:\/\/x\.example\.com\/hook"/,
    );
    expect(loadConfig({ PROVIDER_ALLOWED_HOSTS: 'LLM.internal, 127.0.0.1:11434' }).PROVIDER_ALLOWED_HOSTS).toEqual([
      'llm.internal',
      '127.0.0.1:11434',
    ]);
    expect(loadConfig({}).PROVIDER_ALLOWED_HOSTS).toEqual([]);
    expect(() => loadConfig({ PROVIDER_ALLOWED_HOSTS: 'http://llm.internal/v1' })).toThrow(/PROVIDER_ALLOWED_HOSTS/);
  });

  it('trusts no proxy unless told which, and refuses to trust every peer', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'none' }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, 2001:DB8::/32, 192.0.2.7' }).TRUST_PROXY).toEqual([
      'loopback',
      '10.0.0.0/8',
      '2001:db8::/32',
      '192.0.2.7',
    ]);
    for (const value of ['true', 'proxy.example.com', '10.0.0.0/33', '127.1', 'loopback, 10.0.0.300'])
      expect(() => loadConfig({ TRUST_PROXY: value }), value).toThrow(/TRUST_PROXY: expected the proxies' addresses/);
  });

  it('requires a master key in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/ledger' })).toThrow(
      /MASTER_KEY: required in production/,
    );
    expect(() => loadConfig({ MASTER_KEY: 'c2hvcnQ=' })).toThrow(/MASTER_KEY: expected 32 bytes/);
  });

  it('requires PUBLIC_URL in production, where links in mails must not come from requests', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/ledger' })).toThrow(
      /PUBLIC_URL: required in production/,
    );
    expect(loadConfig({ PUBLIC_URL: 'https://ledger.example.com/' }).PUBLIC_URL).toBe('https://ledger.example.com');
  });
});
