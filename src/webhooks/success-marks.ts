import { TtlCache } from '../tenants';
import { SUCCESS_WRITE_EVERY_MS, type WebhookEndpoint } from './endpoint-store';

/**
 * The success marks one process let through lately, by endpoint. A delivery reads its endpoint's row before its
 * attempt, so with many deliveries in flight to one healthy endpoint each would find `last_success_at` a
 * second old at the same moment and try the same write. Asked first, this lets one of them write.
 */
export class SuccessMarks {
  // The time of the last mark this process let through, by endpoint id; entries outlive the interval.
  private readonly written = new TtlCache<number>(10 * SUCCESS_WRITE_EVERY_MS, 10_000);

  /**
   * Whether a success at `now` may go on to `markEndpointHealthy` (which still checks the row as read):
   * always to end a failure streak; otherwise once per endpoint per SUCCESS_WRITE_EVERY_MS in this process.
   */
  due(endpoint: Pick<WebhookEndpoint, 'id' | 'failingSince'>, now: Date): boolean {
    if (endpoint.failingSince) return true;
    const last = this.written.get(endpoint.id);
    if (last !== undefined && now.getTime() - last < SUCCESS_WRITE_EVERY_MS) return false;
    this.written.set(endpoint.id, now.getTime());
    return true;
  }
}
