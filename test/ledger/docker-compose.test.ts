import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KAFKA_VERSION } from '../../scripts/kafka-broker.js';
import { loadConfig } from '../../infrastructure/config/config.js';

const root = new URL('../..', import.meta.url).pathname;
/** What an operator sets before `docker compose up`, as the file's comments say. */
const OPERATOR_ENV = {
  MASTER_KEY: 'k5pM0c2ZqHcvb6Jz2Rj8yq0mO1n8mX1lqYQy0lY2d1E=',
  JWT_SECRET: 'an operator secret of at least thirty-two characters',
  PUBLIC_URL: 'https://ledger.example.com',
};

/** Compose's variable interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}. */
function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g,
    (_, name: string, op?: string, arg?: string) => {
      const set = env[name];
      const missing = op?.startsWith(':') ? !set : set === undefined;
      if (!missing) return set!;
      if (op?.endsWith('?')) throw new Error(`${name}: ${arg}`);
      return op ? arg! : '';
    },
  );
}

const compose = parse(readFileSync(`${root}/docker-compose.yml`, 'utf8'), { merge: true }) as {
  services: Record<
    string,
    { image?: string; build?: unknown; environment?: Record<string, string>; command?: string[] }
  >;
};

describe('docker-compose.yml: the production shape', () => {
  it('runs EventStoreDB, PostgreSQL, Kafka, Redis and the three roles from one build', () => {
    const services = compose.services;
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['eventstoredb', 'postgres', 'kafka', 'redis', 'command-api', 'query-api', 'projections']),
    );
    for (const role of ['command-api', 'query-api', 'projections']) {
      expect(services[role]!.build).toBe('.');
      expect(services[role]!.environment).toMatchObject({ LEDGER_ROLE: role, EVENT_STORE: 'eventstoredb' });
    }
  });

  it("gives each ledger service an environment the ledger's own configuration accepts", () => {
    for (const name of ['command-api', 'query-api', 'projections', 'migrate']) {
      const environment = compose.services[name]!.environment!;
      const env = Object.fromEntries(
        Object.entries(environment).map(([key, value]) => [key, interpolate(String(value), OPERATOR_ENV)]),
      );
      expect(() => loadConfig(env), name).not.toThrow();
      expect(loadConfig(env)).toMatchObject({ NODE_ENV: 'production', PUBLIC_URL: OPERATOR_ENV.PUBLIC_URL });
    }
  });

  it('refuses to start without the secrets and the public URL production needs', () => {
    const environment = compose.services['command-api']!.environment!;
    for (const variable of Object.keys(OPERATOR_ENV)) {
      const without = { ...OPERATOR_ENV, [variable]: undefined };
      expect(() => Object.values(environment).map((value) => interpolate(String(value), without))).toThrow(variable);
    }
  });

  it('runs the same Kafka version as the test broker', () => {
    expect(compose.services.kafka!.image).toBe(`apache/kafka:${KAFKA_VERSION}`);
  });

  it('is accepted by docker compose where it is installed', () => {
    const candidates: Array<[string, string[]]> = [
      ['docker-compose', ['config', '-q']],
      ['docker', ['compose', 'config', '-q']],
    ];
    const runs = candidates
      .map(([command, args]) =>
        spawnSync(command, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...OPERATOR_ENV } }),
      )
      .filter((run) => !run.error && !/unknown (shorthand flag|command)|is not a docker command/.test(run.stderr));
    // The YAML checks above always run; a Compose binary, where present, validates the whole file too.
    for (const run of runs) expect(run.stderr).toBe('');
  });
});
