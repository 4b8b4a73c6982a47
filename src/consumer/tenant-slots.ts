interface TenantLine {
  running: number;
  waiting: Array<(entered: boolean) => void>;
}

/**
 * A consumer's share per tenant: at most `perTenant` of one tenant's handlers run at once in this process
 * (a slot is held while the handler runs, not while its commit waits); the tenant's other runs wait for a
 * slot, served in arrival order. Once as many wait as run, the tenant is crowded: a further delivery of it is
 * to be deferred (sent through a delay tier and acknowledged) so that it does not hold a prefetch slot another
 * tenant's message could use.
 */
export class TenantSlots {
  private readonly lines = new Map<string, TenantLine>();
  // The two tenants whose deliveries came last, most recent first, and when: enough to tell whether a tenant
  // other than a given one was seen lately, whatever the number of tenants.
  private latest: { tenant: string; at: number } | undefined;
  private before: { tenant: string; at: number } | undefined;

  constructor(private readonly perTenant: number) {}

  /** Takes one of `tenant`'s slots when one is free and nobody of the tenant waits for one. */
  tryEnter(tenant: string): boolean {
    const line = this.lines.get(tenant);
    if (line === undefined) {
      this.lines.set(tenant, { running: 1, waiting: [] });
      return true;
    }
    if (line.running >= this.perTenant || line.waiting.length > 0) return false;
    line.running += 1;
    return true;
  }

  /**
   * Waits for one of `tenant`'s slots (after `tryEnter` said no): resolves true once the caller holds it, false
   * when the wait was cancelled (the consumer is stopping) and it holds none.
   */
  wait(tenant: string): Promise<boolean> {
    if (this.tryEnter(tenant)) return Promise.resolve(true);
    const line = this.lines.get(tenant) as TenantLine;
    return new Promise<boolean>((resolve) => line.waiting.push(resolve));
  }

  /**
   * True when `tenant` holds all its slots and as many of its deliveries already wait for one: a further
   * delivery of it is to be deferred (when other tenants need the room).
   */
  crowded(tenant: string): boolean {
    const line = this.lines.get(tenant);
    return line !== undefined && line.running >= this.perTenant && line.waiting.length >= this.perTenant;
  }

  /** Gives back a slot of `tenant`: to its longest waiter, if any. */
  leave(tenant: string): void {
    const line = this.lines.get(tenant);
    if (line === undefined) return;
    const next = line.waiting.shift();
    if (next) {
      next(true);
      return;
    }
    line.running -= 1;
    if (line.running <= 0) this.lines.delete(tenant);
  }

  /** Ends every wait with false (the consumer stops; those deliveries go back to the queue). */
  cancelWaiting(): void {
    for (const line of this.lines.values()) {
      const waiting = line.waiting;
      line.waiting = [];
      for (const resolve of waiting) resolve(false);
    }
  }

  /** Notes a delivery of `tenant` at `now` (ms). */
  seen(tenant: string, now: number): void {
    if (this.latest?.tenant === tenant) {
      this.latest.at = now;
      return;
    }
    this.before = this.latest;
    this.latest = { tenant, at: now };
  }

  /** True when a delivery of a tenant other than `tenant` was seen at or after `since` (ms). */
  othersSeenSince(tenant: string, since: number): boolean {
    const other = this.latest?.tenant === tenant ? this.before : this.latest;
    return other !== undefined && other.at >= since;
  }

  /** Deliveries of `tenant` running now (holding a slot). */
  runningOf(tenant: string): number {
    return this.lines.get(tenant)?.running ?? 0;
  }

  /** Deliveries of `tenant` waiting for a slot. */
  waitingOf(tenant: string): number {
    return this.lines.get(tenant)?.waiting.length ?? 0;
  }
}
