import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type Router from '@koa/router';
import { logger } from '../observability';
import { answerClientError } from './client-error';
import { fragmentOf, OpenApiDocument, openApiRoutes } from './openapi';
import { HttpProblem } from './problem';
import { PROBLEM_JSON, problemMiddleware } from './problem-middleware';
import { requestContext } from './request-context';
import { servedOperations, type ServedOperation } from './served-routes';

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

/**
 * The one HTTP server of a process: health and metrics always, plus whatever routers the roles mount.
 * `listen()` takes the port first thing at boot, so that a port in use ends boot before anything else has
 * started; until `open()` every request is answered 503 "starting". `stop()` refuses new connections, lets
 * in-flight requests finish until the deadline, then cuts the rest.
 */
export class HttpServer {
  readonly app = new Koa();
  /** The OpenAPI document of every documented router mounted here, served at GET /openapi.json. */
  readonly api = new OpenApiDocument();
  private server: Server | undefined;
  private readonly routers: Router[] = [];
  private handle: RequestListener = answerStarting;

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

  /** Every operation the mounted routers serve (method and OpenAPI path template), in mount order. */
  operations(): ServedOperation[] {
    return servedOperations(this.routers);
  }

  /** Binds the port; rejects with the listen error (e.g. EADDRINUSE) and holds nothing then. */
  async listen(): Promise<AddressInfo> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('clientError', answerClientError);
    server.listen(this.options.port, this.options.host);
    try {
      await once(server, 'listening');
    } catch (err) {
      server.close();
      throw err;
    }
    this.server = server;
    const address = server.address() as AddressInfo;
    logger({ component: 'http' }).info({ port: address.port, host: address.address }, 'http listening');
    return address;
  }

  /** Serves the mounted routes from now on; mount every router before. */
  open(): void {
    this.handle = this.app.callback();
  }

  /** `listen()` then `open()`. */
  async start(): Promise<AddressInfo> {
    const address = await this.listen();
    this.open();
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

// Before open() not every router is mounted yet: every request gets a clear "not yet" instead of a 404.
const STARTING = new HttpProblem(503, 'WAGGLE_STARTING', 'the process is starting; try again shortly');

function answerStarting(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(503, { 'content-type': PROBLEM_JSON, 'retry-after': '1', 'cache-control': 'no-store' });
  res.end(JSON.stringify(STARTING.toBody()));
}
