/**
 * The words of any thrown value for one line of text. A refused connection to a name with several
 * addresses is an AggregateError with an empty message; its code (ECONNREFUSED) is the reason then.
 */
export function errorReason(err: unknown): string {
  if (err instanceof Error) return err.message || (err as { code?: string }).code || err.name;
  return String(err);
}
