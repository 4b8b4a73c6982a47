import { expect } from 'chai';
import { findUnstorableText } from '../../../src/envelope';

describe('envelope: findUnstorableText', () => {
  it('finds a NUL or an unpaired surrogate at any depth and names its JSON pointer', () => {
    expect(findUnstorableText({ data: { text: 'a\u0000b' } })).to.deep.equal({
      pointer: '/data/text',
      reason: 'contains a NUL character (U+0000)',
    });
    expect(findUnstorableText({ a: [1, { b: ['ok', 'x\ud800'] }] })).to.deep.include({
      pointer: '/a/1/b/1',
      reason: 'contains an unpaired UTF-16 surrogate (U+D800)',
    });
    expect(findUnstorableText(['\udfff'])?.pointer).to.equal('/0');
    expect(findUnstorableText('\udc00\ud800')?.reason).to.contain('U+DC00');
    expect(findUnstorableText('end\ud83d')?.reason).to.contain('U+D83D');
  });

  it('passes paired surrogates and every other character', () => {
    expect(findUnstorableText({ emoji: '😀 \ud83d\ude00', control: '\u0001\t\n', bmp: '\uffff' })).to.equal(
      undefined,
    );
    expect(findUnstorableText([null, 1, true, {}, []])).to.equal(undefined);
  });

  it('checks member names, escaping ~ and / in the pointer, and reports the first fault in document order', () => {
    expect(findUnstorableText({ ok: 1, 'a/b~\u0000': 'x' })).to.deep.equal({
      pointer: '/a~1b~0\u0000',
      reason: 'has a member name that contains a NUL character (U+0000)',
    });
    expect(findUnstorableText({ first: { deep: '\u0000' }, second: '\u0000' })?.pointer).to.equal(
      '/first/deep',
    );
    expect(findUnstorableText({ 'k\u0000': 'v\u0000' })?.pointer).to.equal('/k\u0000');
  });

  it('starts from the pointer it is given, and walks 100,000 levels without overflowing the stack', () => {
    expect(findUnstorableText({ text: '\u0000' }, '/data')?.pointer).to.equal('/data/text');
    let deep: unknown = '\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnstorableText(deep)?.pointer).to.have.length(200_000);
  });
});
