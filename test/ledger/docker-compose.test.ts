import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KAFKA_VERSION } from '../../scripts/kafka-broker.js';

const root = new URL('../..', import.meta.url).pathname;
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
        spawnSync(command, args, { cwd: root, encoding: 'utf8', env: { ...process.env, MASTER_KEY: 'dGVzdA==' } }),
      )
      .filter((run) => !run.error && !/unknown (shorthand flag|command)|is not a docker command/.test(run.stderr));
    // The YAML checks above always run; a Compose binary, where present, validates the whole file too.
    for (const run of runs) expect(run.stderr).toBe('');
  });
});
