import { SingleBar } from 'cli-progress';
import type { z } from 'zod';

/** A failure to report as one clear line on stderr, with the exit code it ends the process with. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** How a command answers: `--json` prints one JSON document on stdout, otherwise lines for a person. */
export interface Output {
  json: boolean;
  /** A line for a person (nothing with --json). */
  line(text: string): void;
  /** The command's result: the JSON document with --json. */
  result(value: unknown): void;
  /** A progress bar on a terminal (stderr), nothing otherwise: stdout stays the answer. */
  progress(label: string, unit: string): Progress;
}

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export function output(options: { json?: boolean }): Output {
  const json = Boolean(options.json);
  return {
    json,
    line(text) {
      if (!json) process.stdout.write(`${text}\n`);
    },
    result(value) {
      if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    progress(label, unit) {
      if (json || !process.stderr.isTTY) return { update() {}, stop() {} };
      const started = performance.now();
      const bar = new SingleBar({
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {speed} ${unit}/s | ETA {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
      });
      bar.start(1, 0, { speed: 0 });
      return {
        update(done, total) {
          bar.setTotal(Math.max(total, 1));
          bar.update(done, { speed: Math.round(done / Math.max((performance.now() - started) / 1000, 0.001)) });
        },
        stop: () => bar.stop(),
      };
    },
  };
}

/** An option's value checked by the API's own schema for that field; a bad one is exit code 2, naming the option. */
export function valid<T extends z.ZodType>(schema: T, value: unknown, option: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CliError(`${option}: ${parsed.error.issues[0]?.message ?? 'not valid'}`, 2);
  return parsed.data;
}
