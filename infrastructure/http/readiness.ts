/** A dependency that /ready asks about. `check` resolves with details when it is up and throws when it is not. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<Record<string, unknown> | void>;
  /** Releases what the check holds open (a Kafka admin connection, say). */
  close?(): Promise<void>;
}

export interface Readiness {
  status: 'ready' | 'not-ready';
  checks: Record<string, { status: 'up' | 'down'; detail?: string; [key: string]: unknown }>;
}

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
