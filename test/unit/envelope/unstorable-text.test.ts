import { expect } from 'chai';
import { MAX_NESTING, findUnstorableValue, unstorableText } from '../../../src/envelope';

describe('envelope: values the store cannot keep', () => {
  it('finds a NUL character or an unpaired surrogate in any string, at any depth, and names its path', () => {
    expect(findUnstorableValue({ a: 'x\u0000' })).to.deep.include({ pointer: '/a' });
    expect(findUnstorableValue({ a: [1, { b: 'ok' }, { c: '\ud800' }] })).to.deep.include({
      pointer: '/a/2/c',
    });
    expect(findUnstorableValue({ a: 'tail \udfff' })?.reason).to.contain(
      'unpaired UTF-16 surrogate (\\udfff)',
    );
    expect(findUnstorableValue(['\ud83d'])?.pointer).to.equal('/0');
    expect(findUnstorableValue('x\u0000', '/data')?.pointer).to.equal('/data');
  });

  it('accepts well-formed text, including emoji (surrogate pairs) and other control characters', () => {
    expect(findUnstorableValue({ a: 'smile 😀', b: ['\t\n\u0001', 'é'], c: null, d: 2 ** 64 })).to.equal(
      undefined,
    );
    expect(unstorableText('\ud83d\ude00')).to.equal(undefined);
  });

  it('checks keys too, and escapes the key in the pointer', () => {
    const found = findUnstorableValue({ data: { 'a/b\u0000': 1 } });
    expect(found?.pointer).to.equal('/data/a~1b\\u0000');
    expect(found?.reason).to.match(/^is a key that contains a NUL character/);
  });

  it('refuses numbers JSON cannot carry and nesting past the limit, without recursion', () => {
    expect(findUnstorableValue(JSON.parse('{"n": 1e400}'))).to.deep.include({ pointer: '/n' });
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const found = findUnstorableValue(deep);
    expect(found?.reason).to.contain(`deeper than ${MAX_NESTING}`);
    expect(found?.pointer.split('/').length).to.equal(MAX_NESTING + 1);
    let limit: unknown = 'leaf';
    for (let i = 0; i < MAX_NESTING; i++) limit = { k: limit };
    expect(findUnstorableValue(limit)).to.equal(undefined);
  });
});
