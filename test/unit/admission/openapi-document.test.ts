import Router from '@koa/router';
import { expect } from 'chai';
import { documented, fragmentOf, HttpServer, OpenApiDocument, servedOperations } from '../../../src/http';

describe('http: OpenAPI document', () => {
  it('merges the fragments of the routers a server mounts, and serves itself', () => {
    const server = new HttpServer({ host: '127.0.0.1', port: 0 });
    const router = documented(new Router(), {
      paths: { '/v1/things': { get: { responses: { '200': { description: 'ok' } } } } },
      schemas: { Thing: { type: 'object' } },
    });
    expect(fragmentOf(router)).to.not.equal(undefined);
    server.mount(router);
    server.mount(
      documented(new Router(), {
        paths: { '/v1/things': { post: { responses: { '201': { description: 'made' } } } } },
      }),
    );
    const doc = server.api.toJSON() as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).to.equal('3.1.0');
    expect(Object.keys(doc.paths['/v1/things'] ?? {})).to.deep.equal(['get', 'post']);
    expect(doc.paths).to.have.property('/openapi.json');
    expect(doc.components.schemas).to.have.keys('Problem', 'Thing');
  });

  it('starts from the Problem schema', () => {
    const doc = new OpenApiDocument().toJSON() as {
      components: { schemas: { Problem: { required: string[] } } };
    };
    expect(doc.components.schemas.Problem.required).to.include.members(['type', 'title', 'status', 'detail']);
  });

  it('reads the operations a server serves from its routers, as OpenAPI path templates', () => {
    const events = new Router();
    events.post('/v1/events\\:batch', (ctx) => (ctx.status = 202));
    events.get('/v1/sessions/:id/stream', (ctx) => (ctx.status = 200));
    const admin = new Router({ prefix: '/v1/admin' });
    admin.use((_ctx, next) => next());
    admin.delete('/tools/:tenant/:name', (ctx) => (ctx.status = 204));
    expect(servedOperations([events, admin])).to.deep.equal([
      { method: 'post', path: '/v1/events:batch' },
      { method: 'get', path: '/v1/sessions/{id}/stream' },
      { method: 'delete', path: '/v1/admin/tools/{tenant}/{name}' },
    ]);
    const server = new HttpServer({ host: '127.0.0.1', port: 0 });
    server.mount(events);
    expect(server.operations()).to.deep.include({ method: 'get', path: '/openapi.json' });
  });
});
