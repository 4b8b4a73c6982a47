import { randomBytes } from 'node:crypto';
import { sameSecret } from './same-secret';

/** The cookie that carries an operator's console session id (HttpOnly, SameSite=Strict). */
export const OPERATOR_COOKIE = 'waggle_console';

/** One operator signed in to the console: the cookie's id and the token every change must echo. */
export interface OperatorSession {
  id: string;
  /** Sent back as `X-CSRF-Token` on every POST; a cross-site page cannot read it. */
  csrfToken: string;
  expiresAt: number;
}

export interface OperatorSessionsOptions {
  /** A session ends after this long without a request. @default 8 hours */
  idleMs?: number;
  /** Sessions kept at once; signing in past it ends the oldest. @default 1000 */
  maxSessions?: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * The console's sign-ins, kept in this process: the admin token is checked once at sign-in and never leaves
 * the server again; the browser holds only a random session id. A restart signs everyone out.
 */
export class OperatorSessions {
  private readonly sessions = new Map<string, OperatorSession>();
  private readonly idleMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(options: OperatorSessionsOptions = {}) {
    this.idleMs = options.idleMs ?? 8 * 3_600_000;
    this.maxSessions = options.maxSessions ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  /** Starts a session for an operator who has just shown the admin token. */
  open(): OperatorSession {
    while (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const session = {
      id: randomBytes(32).toString('base64url'),
      csrfToken: randomBytes(32).toString('base64url'),
      expiresAt: this.now() + this.idleMs,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id (its idle time starts again), or undefined. */
  find(id: string | undefined): OperatorSession | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    session.expiresAt = this.now() + this.idleMs;
    // Re-inserted so that the map stays in order of last use and the oldest is evicted first.
    this.sessions.delete(id);
    this.sessions.set(id, session);
    return session;
  }

  /** Whether `candidate` is the session's CSRF token (constant time). */
  csrfMatches(session: OperatorSession, candidate: string | undefined): boolean {
    return candidate !== undefined && sameSecret(candidate, session.csrfToken);
  }

  close(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }
}
