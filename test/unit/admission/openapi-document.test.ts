import Router from '@koa/router';
import { expect } from 'chai';
import { documented, fragmentOf, HttpServer, OpenApiDocument } from '../../../src/http';

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
});
