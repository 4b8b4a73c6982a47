import { expect } from 'chai';
import { HttpProblem, JSON_DEPTH_LIMIT, parseJsonBody, refuseUnstorableText } from '../../../src/http';

describe('http: reading JSON bodies', () => {
  it('parses UTF-8 JSON of any ordinary shape', () => {
    expect(parseJsonBody(Buffer.from('{"text":"héllo 😀","n":[1,{"a":null}]}'))).to.deep.equal({
      text: 'héllo 😀',
      n: [1, { a: null }],
    });
  });

  it('refuses malformed UTF-8 naming the offset of the first bad sequence', () => {
    for (const [bytes, offset] of [
      [[0x80], 9],
      [[0xc0, 0xaf], 9],
      [[0xed, 0xa0, 0x80], 9],
      [[0xf4, 0x90, 0x80, 0x80], 9],
      [[0xe2, 0x82], 9],
      [[0xc3, 0xa9, 0xff], 11],
    ] as const) {
      const body = Buffer.concat([Buffer.from('{"text":"'), Buffer.from(bytes), Buffer.from('"}')]);
      expect(() => parseJsonBody(body), JSON.stringify(bytes))
        .to.throw(HttpProblem)
        .that.includes({ status: 400, code: 'BODY_NOT_UTF8' })
        .and.has.nested.property('extensions.offset', offset);
    }
  });

  it(`refuses nesting deeper than ${JSON_DEPTH_LIMIT} levels, naming where, and takes exactly that many`, () => {
    const nested = (depth: number) => `{"data":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    expect(() => parseJsonBody(Buffer.from(nested(JSON_DEPTH_LIMIT)))).not.to.throw();
    expect(() => parseJsonBody(Buffer.from(nested(JSON_DEPTH_LIMIT + 1))))
      .to.throw(HttpProblem)
      .that.includes({ status: 400, code: 'BODY_TOO_DEEP' });
    expect(() => parseJsonBody(Buffer.from(nested(100_000))))
      .to.throw(HttpProblem)
      .with.property('detail')
      .that.contains('/data/0/0/0');
  });

  it('refuses text that cannot be stored with 400 TEXT_UNSTORABLE naming the pointer', () => {
    expect(() => refuseUnstorableText({ reason: 'fine 😀' })).not.to.throw();
    expect(() => refuseUnstorableText({ result: { 'a\u0000': 1 } }))
      .to.throw(HttpProblem)
      .that.includes({ status: 400, code: 'TEXT_UNSTORABLE' })
      .and.satisfies((p: HttpProblem) => p.detail.startsWith('/result/a\\u0000 is a key that contains a NUL'))
      .and.has.nested.property('extensions.errors[0].pointer', '/result/a\\u0000');
  });
});
