import { z } from 'zod';

/** A dependency that /ready asks about. `check` resolves with details when it is up and throws when it is not. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<Record<string, unknown> | void>;
  /** Releases what the check holds open (a Kafka admin connection, say). */
  close?(): Promise<void>;
}

/** What /ready answers: each dependency up (with what its check tells) or down (with why). */
export const Readiness = z
  .object({
    status: z.enum(['ready', 'not-ready']),
    checks: z.record(z.string(), z.looseObject({ status: z.enum(['up', 'down']), detail: z.string().optional() })),
  })
  .meta({ id: 'Readiness' });
export type Readiness = z.output<typeof Readiness>;

/** Runs every check at once, each bounded in time, so one hung dependency cannot hang the probe. */
export async function checkReadiness(checks: readonly ReadinessCheck[], timeoutMs = 2_000): Promise<Readiness> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const details = await Promise.race([
          check(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [name, { status: 'up' as const, ...(details ?? {}) }] as const;
      } catch (error) {
        return [name, { status: 'down' as const, detail: (error as Error).message }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return {
    status: results.every(([, result]) => result.status === 'up') ? 'ready' : 'not-ready',
    checks: Object.fromEntries(results),
  };
}
