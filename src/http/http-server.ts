import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type Router from '@koa/router';
import { logger } from '../observability';
import { answerClientError } from './client-error';
import { fragmentOf, OpenApiDocument, openApiRoutes } from './openapi';
import { problemMiddleware } from './problem-middleware';
import { requestContext } from './request-context';

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

/**
 * The one HTTP server of a process: health and metrics always, plus whatever routers the roles mount.
 * `stop()` refuses new connections, lets in-flight requests finish until the deadline, then cuts the rest.
 */
export class HttpServer {
  readonly app = new Koa();
  /** The OpenAPI document of every documented router mounted here, served at GET /openapi.json. */
  readonly api = new OpenApiDocument();
  private server: Server | undefined;
  private readonly routers: Router[] = [];

  constructor(private readonly options: HttpServerOptions) {
    this.app.proxy = true;
    this.app.use(requestContext);
    this.app.use(problemMiddleware);
    this.mount(openApiRoutes(this.api));
  }

  /** Adds a router's routes (and its OpenAPI fragment, see `documented`); call before `start()`. */
  mount(router: Router): void {
    this.routers.push(router);
    const fragment = fragmentOf(router);
    if (fragment) this.api.add(fragment);
    this.app.use(router.routes());
    this.app.use(router.allowedMethods());
  }

  async start(): Promise<AddressInfo> {
    const server = this.app.listen(this.options.port, this.options.host);
    server.on('clientError', answerClientError);
    this.server = server;
    await once(server, 'listening');
    const address = server.address() as AddressInfo;
    logger({ component: 'http' }).info({ port: address.port, host: address.address }, 'http listening');
    return address;
  }

  /** The bound address, once started. */
  address(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? undefined;
  }

  /** Stops intake; waits for in-flight requests up to `deadlineMs`, then closes every connection. */
  async stop(deadlineMs: number): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), deadlineMs);
    await closed;
    clearTimeout(timer);
  }
}
