type Teardown = () => unknown | Promise<unknown>;

const pending: Teardown[] = [];

/** Registers cleanup when a resource is created; it runs after the current test, newest first. */
export function autoTeardown(fn: Teardown): void {
  pending.push(fn);
}

/** Runs every registered cleanup (errors are reported, not thrown, so one failure does not hide others). */
export async function runTeardowns(): Promise<void> {
  while (pending.length > 0) {
    const fn = pending.pop() as Teardown;
    try {
      await fn();
    } catch (err) {
      console.error('teardown failed:', (err as Error).message);
    }
  }
}
