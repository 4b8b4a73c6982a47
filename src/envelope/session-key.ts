/** Order is kept per (tenant, session). */
export interface SessionKey {
  tenant: string;
  session: string;
}

/** One string per session, for maps. */
export function sessionKeyString(key: SessionKey): string {
  return `${key.tenant}\u0000${key.session}`;
}
