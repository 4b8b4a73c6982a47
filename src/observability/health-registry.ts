/** One component's answer to "are you ready?". */
export interface ComponentHealth {
  ok: boolean;
  detail: string;
}

export type HealthCheck = () => ComponentHealth | Promise<ComponentHealth>;

export interface HealthReport {
  status: 'ok' | 'unavailable';
  components: Record<string, ComponentHealth>;
}

/** Every role and resource registers a readiness check here; GET /v1/health reports them all. */
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  unregister(name: string): void {
    this.checks.delete(name);
  }

  /** Runs every check, each bounded by `timeoutMs`, and reports ok only when all are ok. */
  async report(timeoutMs = 2_000): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const),
    );
    const components = Object.fromEntries(entries);
    const ok = entries.length > 0 && entries.every(([, h]) => h.ok);
    return { status: ok ? 'ok' : 'unavailable', components };
  }
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<ComponentHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ComponentHealth>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(check), timeout]);
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
