/**
 * A real single-node Kafka broker (KRaft mode) for tests and local development, without Docker.
 *
 * The broker is Apache Kafka itself: its jars come from Maven Central through the local Maven, are cached once, and
 * run on the local Java. Usage:
 *   npm run kafka -- fetch            download the jars into the cache
 *   npm run kafka -- start [port]     run a broker in the foreground until Ctrl-C
 *
 * Kafka 3.9 is the newest line that kafkajs 2.2 fully works with: 4.0 removed the old protocol versions it uses.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const KAFKA_VERSION = '3.9.1';
const SCALA_VERSION = '2.13';

export function kafkaCacheDir(): string {
  const base =
    process.env.LEDGER_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'compliance-ledger');
  return join(base, `kafka-${KAFKA_VERSION}`);
}

function which(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Downloads the broker's jars once (about 46 MB) and returns the folder that holds them. */
export async function fetchKafka(log: (line: string) => void = console.log): Promise<string> {
  const dir = kafkaCacheDir();
  const libs = join(dir, 'libs');
  if (existsSync(join(dir, '.complete'))) return libs;
  for (const tool of ['java', 'mvn']) {
    if (!which(tool))
      throw new Error(
        `Starting a local Kafka broker needs "${tool}" on the PATH (or set KAFKA_BROKERS to an existing broker)`,
      );
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>local.compliance-ledger</groupId><artifactId>kafka-broker</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_${SCALA_VERSION}</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
`,
  );
  log(`Fetching Apache Kafka ${KAFKA_VERSION} from Maven Central into ${dir} (once)…`);
  const { status, output } = await run(
    'mvn',
    ['-q', '-B', 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`, '-DincludeScope=runtime'],
    dir,
  );
  if (status !== 0) throw new Error(`Fetching Kafka with Maven failed (exit ${status}):\n${output.slice(-4000)}`);
  writeFileSync(join(dir, '.complete'), new Date().toISOString());
  return libs;
}

/** Runs a command without blocking the event loop (test set-up starts other services meanwhile). */
async function run(command: string, args: string[], cwd: string): Promise<{ status: number | null; output: string }> {
  const child = spawn(command, args, { cwd });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)));
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)));
  const status = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  return { status, output };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface KafkaBroker {
  brokers: string[];
  /** Stops the process; the data stays, so start() brings the same broker back (an outage, in tests). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the broker and deletes its data. */
  destroy(): Promise<void>;
}

export async function startKafkaBroker(
  options: { port?: number; log?: (line: string) => void } = {},
): Promise<KafkaBroker> {
  const log = options.log ?? console.log;
  const libs = await fetchKafka(log);
  const port = options.port ?? (await freePort());
  const controllerPort = await freePort();
  const home = mkdtempSync(join(tmpdir(), 'ledger-kafka-'));
  const config = join(home, 'server.properties');
  writeFileSync(
    config,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${join(home, 'data')}`,
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=3',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=true',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(home, 'log4j.properties'),
    [
      'log4j.rootLogger=WARN, file',
      'log4j.appender.file=org.apache.log4j.FileAppender',
      `log4j.appender.file.File=${join(home, 'broker.log')}`,
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.server.KafkaRaftServer=INFO',
      '',
    ].join('\n'),
  );
  const java = (mainClass: string, args: string[]): string[] => [
    '-Xms128m',
    '-Xmx512m',
    `-Dlog4j.configuration=file:${join(home, 'log4j.properties')}`,
    '-cp',
    join(libs, '*'),
    mainClass,
    ...args,
  ];
  const format = await run(
    'java',
    java('kafka.tools.StorageTool', ['format', '-t', clusterId(), '-c', config, '--ignore-formatted']),
    home,
  );
  if (format.status !== 0) throw new Error(`Formatting Kafka storage failed:\n${format.output}`);

  let child: ChildProcess | undefined;
  const brokers = [`127.0.0.1:${port}`];

  async function start(): Promise<void> {
    const proc = spawn('java', java('kafka.Kafka', [config]), { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) => reject(new Error(`Kafka exited with ${code}: ${stderr}`))),
    );
    exited.catch(() => {});
    const logFile = join(home, 'broker.log');
    const startedBefore = countStarts(logFile);
    await Promise.race([waitFor(() => countStarts(logFile) > startedBefore, 60_000), exited]);
    await Promise.race([waitForPort(port, 10_000), exited]);
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  await start();
  log(`Kafka ${KAFKA_VERSION} broker (KRaft) listening on ${brokers[0]}`);
  return {
    brokers,
    start,
    stop,
    async destroy() {
      await stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Kafka cluster ids are 16 random bytes in URL-safe base64 without padding. */
/** A random KRaft cluster id (16 bytes, base64url). One starting with "-" would read as an option to kafka-storage. */
function clusterId(): string {
  for (;;) {
    const id = Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** The broker logs this line once it serves requests; counting it tells a restart apart from the first start. */
function countStarts(logFile: string): number {
  if (!existsSync(logFile)) return 0;
  return readFileSync(logFile, 'utf8').split('Kafka Server started').length - 1;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Kafka did not start within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Kafka did not open port ${port} within ${timeoutMs} ms`);
}

// CLI: npm run kafka -- fetch | start [port]
if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, port] = process.argv.slice(2);
  if (command === 'fetch') {
    console.log(await fetchKafka());
  } else if (command === 'start') {
    const broker = await startKafkaBroker({ port: port ? Number(port) : 9092 });
    console.log(`KAFKA_BROKERS=${broker.brokers.join(',')}  (Ctrl-C stops it and deletes its data)`);
    const shutdown = (): void => void broker.destroy().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  } else {
    console.error('usage: npm run kafka -- fetch | start [port]');
    process.exit(2);
  }
}
