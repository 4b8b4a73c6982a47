import { createHash } from 'node:crypto';
import type { PlannedUser } from './plan-model';

type Env = Record<string, string | undefined>;

/** A producer's password and where it came from. */
export interface ResolvedPassword {
  password: string;
  /** `env`: from the user's passwordEnv variable; `development`: the variable is unset, so the user name. */
  source: 'env' | 'development';
}

/**
 * The password of a producer user: the value of its `passwordEnv` variable, or — in development, while
 * that variable is unset — the user name itself (like RabbitMQ's guest/guest). Apply warns about the latter.
 */
export function resolveProducerPassword(
  user: Pick<PlannedUser, 'name' | 'passwordEnv'>,
  env: Env = process.env,
): ResolvedPassword {
  const value = env[user.passwordEnv];
  return value ? { password: value, source: 'env' } : { password: user.name, source: 'development' };
}

const ALGORITHMS: Record<string, string> = {
  rabbit_password_hashing_sha256: 'sha256',
  rabbit_password_hashing_sha512: 'sha512',
  rabbit_password_hashing_md5: 'md5',
};

/** True when `password` produces the broker's stored hash (4-byte salt, then hash(salt + password), base64). */
export function passwordMatches(passwordHash: string, algorithm: string, password: string): boolean {
  const hash = ALGORITHMS[algorithm];
  if (!hash || !passwordHash) return false;
  const stored = Buffer.from(passwordHash, 'base64');
  const salt = stored.subarray(0, 4);
  return createHash(hash)
    .update(Buffer.concat([salt, Buffer.from(password, 'utf8')]))
    .digest()
    .equals(stored.subarray(4));
}

/**
 * The broker's sha256 password hash for definitions files. The salt is derived from the user name so that
 * exporting twice gives the same file (a changed password still changes the hash).
 */
export function rabbitPasswordHash(user: string, password: string): string {
  const salt = createHash('sha256').update(`waggle:${user}`).digest().subarray(0, 4);
  const digest = createHash('sha256')
    .update(Buffer.concat([salt, Buffer.from(password, 'utf8')]))
    .digest();
  return Buffer.concat([salt, digest]).toString('base64');
}
