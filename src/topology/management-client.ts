import { nodeUrls } from '../config';
import { ManagementApiError } from './topology-errors';

/** One node's management API: where it answers and the Basic auth its URL carries. */
interface ManagementNode {
  base: string;
  authorization: string | undefined;
}

/**
 * A small client of the RabbitMQ management HTTP API scoped to one vhost. Credentials may sit in the URL
 * (`http://guest:guest@host:15672`); they are sent as Basic auth since fetch refuses URLs with credentials.
 * A comma-separated list of a cluster's nodes is tried in turn: a node that does not answer (refused,
 * timed out) hands the request to the next, and the node that answered is asked first from then on. An HTTP
 * error status is the cluster's answer and is not retried elsewhere.
 */
export class ManagementClient {
  private readonly nodes: ManagementNode[];
  private preferred = 0;
  /** The vhost, encoded for a URL path (`/` → `%2F`). */
  readonly vhostPath: string;

  constructor(
    url: string,
    readonly vhost: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.nodes = nodeUrls(url).map(managementNode);
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
    const unreachable: string[] = [];
    let lastError: unknown;
    for (let i = 0; i < this.nodes.length; i++) {
      const at = (this.preferred + i) % this.nodes.length;
      const node = this.nodes[at] as ManagementNode;
      const res = await this.send(node, method, path, body).catch((err: unknown) => {
        unreachable.push(`${node.base} (${this.reason(err)})`);
        lastError = err;
        return undefined;
      });
      if (!res) continue;
      this.preferred = at;
      if (!res.ok && !allowed.includes(res.status)) {
        const text = (await res.text().catch(() => '')).slice(0, 300);
        throw new ManagementApiError(
          `management API ${method} ${path} answered ${res.status}: ${text}`,
          res.status,
        );
      }
      return res;
    }
    throw new ManagementApiError(
      unreachable.length === 1
        ? `management API at ${unreachable[0]} is unreachable`
        : `management API is unreachable at every node: ${unreachable.join(', ')}`,
      undefined,
      { cause: lastError },
    );
  }

  private send(node: ManagementNode, method: string, path: string, body: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (node.authorization) headers.authorization = node.authorization;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${node.base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
  }

  private reason(err: unknown): string {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return e.name === 'TimeoutError'
      ? `no answer within ${this.timeoutMs} ms`
      : (e.cause?.code ?? e.cause?.message ?? e.message);
  }
}

function managementNode(url: string): ManagementNode {
  const u = new URL(url);
  const authorization =
    u.username || u.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`
      : undefined;
  u.username = '';
  u.password = '';
  return { base: `${u.origin}${u.pathname.replace(/\/$/, '')}/api`, authorization };
}

/**
 * The vhost an AMQP URL connects to (`amqp://host` and `amqp://host/` mean `/`); of a list of cluster nodes,
 * the first node's (the config check makes every node name the same one).
 */
export function vhostOfAmqpUrl(url: string): string {
  const path = new URL(nodeUrls(url)[0] ?? url).pathname;
  return path === '' || path === '/' ? '/' : decodeURIComponent(path.slice(1));
}

/** The same AMQP URL (or each node of a list) pointed at another vhost. */
export function amqpUrlForVhost(url: string, vhost: string): string {
  return nodeUrls(url)
    .map((node) => {
      const u = new URL(node);
      u.pathname = `/${encodeURIComponent(vhost)}`;
      return u.toString();
    })
    .join(',');
}
