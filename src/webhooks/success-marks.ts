import { TtlCache } from '../tenants';
import { SUCCESS_WRITE_EVERY_MS, type WebhookEndpoint } from './endpoint-store';

/**
 * The success marks one process wrote lately, by endpoint. A delivery reads its endpoint's row before its
 * attempt, so with many deliveries in flight to one healthy endpoint each would find `last_success_at` a
 * second old at the same moment and try the same write. Asked first, this lets one of them write.
 */
export class SuccessMarks {
  // The time of the last mark this process wrote, by endpoint id; entries outlive the write interval.
  private readonly written = new TtlCache<number>(10 * SUCCESS_WRITE_EVERY_MS, 10_000);

  /**
   * Whether a success at `now` is to be written: always to end a failure streak; otherwise when neither the
   * row as read nor this process wrote one within SUCCESS_WRITE_EVERY_MS. A yes counts as written.
   */
  due(endpoint: Pick<WebhookEndpoint, 'id' | 'failingSince' | 'lastSuccessAt'>, now: Date): boolean {
    const at = now.getTime();
    const recent = (t: number | undefined) => t !== undefined && at - t < SUCCESS_WRITE_EVERY_MS;
    if (endpoint.failingSince) return true;
    if (recent(endpoint.lastSuccessAt?.getTime()) || recent(this.written.get(endpoint.id))) return false;
    this.written.set(endpoint.id, at);
    return true;
  }
}
