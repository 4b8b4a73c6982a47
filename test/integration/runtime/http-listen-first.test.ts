import Router from '@koa/router';
import { expect } from 'chai';
import { createServer } from 'node:net';
import { HttpServer } from '../../../src/http';
import { autoTeardown } from '../../support';

describe('http: the port is taken before the routes are served', () => {
  it('answers 503 WAGGLE_STARTING until open(), then the mounted routes', async () => {
    const http = new HttpServer({ host: '127.0.0.1', port: 0 });
    const { port } = await http.listen();
    autoTeardown(() => http.stop(1_000));
    const router = new Router();
    router.get('/v1/things', (ctx) => {
      ctx.body = { things: 3 };
    });
    http.mount(router);

    const early = await fetch(`http://127.0.0.1:${port}/v1/things`);
    expect(early.status).to.equal(503);
    expect(early.headers.get('content-type')).to.equal('application/problem+json');
    expect(early.headers.get('retry-after')).to.equal('1');
    expect(((await early.json()) as { code: string }).code).to.equal('WAGGLE_STARTING');

    http.open();
    const served = await fetch(`http://127.0.0.1:${port}/v1/things`);
    expect(served.status).to.equal(200);
    expect(await served.json()).to.deep.equal({ things: 3 });
  });

  it('rejects with EADDRINUSE when the port is taken', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    autoTeardown(() => new Promise<void>((resolve) => holder.close(() => resolve())));
    const { port } = holder.address() as { port: number };

    const http = new HttpServer({ host: '127.0.0.1', port });
    await expect(http.listen()).to.be.rejected.and.eventually.have.property('code', 'EADDRINUSE');
  });
});
