import { ManagementApiError } from './topology-errors';

/**
 * A small client of the RabbitMQ management HTTP API scoped to one vhost. Credentials may sit in the URL
 * (`http://guest:guest@host:15672`); they are sent as Basic auth since fetch refuses URLs with credentials.
 */
export class ManagementClient {
  private readonly base: string;
  private readonly authorization: string | undefined;
  /** The vhost, encoded for a URL path (`/` → `%2F`). */
  readonly vhostPath: string;

  constructor(
    url: string,
    readonly vhost: string,
    private readonly timeoutMs = 10_000,
  ) {
    const u = new URL(url);
    this.authorization =
      u.username || u.password
        ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`
        : undefined;
    u.username = '';
    u.password = '';
    this.base = `${u.origin}${u.pathname.replace(/\/$/, '')}/api`;
    this.vhostPath = encodeURIComponent(vhost);
  }

  /** GET a JSON resource; throws ManagementApiError on any non-2xx answer. */
  async get<T>(path: string): Promise<T> {
    const res = await this.request('GET', path);
    return (await res.json()) as T;
  }

  /** GET a JSON resource, or undefined when it does not exist (404). */
  async find<T>(path: string): Promise<T | undefined> {
    const res = await this.request('GET', path, undefined, [404]);
    if (res.status === 404) return undefined;
    return (await res.json()) as T;
  }

  async put(path: string, body: unknown): Promise<void> {
    await this.request('PUT', path, body);
  }

  async post(path: string, body: unknown): Promise<void> {
    await this.request('POST', path, body);
  }

  /** DELETE a resource; a resource that is already gone counts as deleted. */
  async delete(path: string): Promise<void> {
    await this.request('DELETE', path, undefined, [404]);
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
    allowed: number[] = [],
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.authorization) headers.authorization = this.authorization;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const reason =
        e.name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs} ms`
          : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new ManagementApiError(`management API at ${this.base} is unreachable (${reason})`, undefined, {
        cause: err,
      });
    }
    if (!res.ok && !allowed.includes(res.status)) {
      const text = (await res.text().catch(() => '')).slice(0, 300);
      throw new ManagementApiError(
        `management API ${method} ${path} answered ${res.status}: ${text}`,
        res.status,
      );
    }
    return res;
  }
}

/** The vhost an AMQP URL connects to (`amqp://host` and `amqp://host/` mean `/`). */
export function vhostOfAmqpUrl(url: string): string {
  const path = new URL(url).pathname;
  return path === '' || path === '/' ? '/' : decodeURIComponent(path.slice(1));
}

/** The same AMQP URL pointed at another vhost. */
export function amqpUrlForVhost(url: string, vhost: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(vhost)}`;
  return u.toString();
}
