import { expect } from 'chai';
import { normalizeTool, ToolInvalidError, type ToolInput } from '../../../src/tools';

describe('tools: normalizeTool', () => {
  const valid = { tenant: 'acme', name: 'echo', url: 'https://tools.example.test/echo' };

  it('names each field whose JSON type is wrong instead of storing it coerced', () => {
    const input = { ...valid, url: ['https://x.test/'], description: { a: 1 }, mode: [], attempts: '3' };
    expect(() => normalizeTool(input as unknown as ToolInput))
      .to.throw(ToolInvalidError)
      .with.property('problems')
      .that.deep.equals([
        'url: ["https://x.test/"] is not an http:// or https:// URL',
        'description: {"a":1} is not a string',
        'mode: [] is not sync or async',
        'attempts: "3" is not a whole number from 1 to 20',
      ]);
    expect(() => normalizeTool({ tenant: 'acme', name: 'echo' } as ToolInput)).to.throw(/url: nothing/);
  });

  it('keeps timeouts to whole milliseconds a timer can wait', () => {
    expect(normalizeTool({ ...valid, timeout: 1.5 }).timeoutMs).to.equal(2);
    expect(() => normalizeTool({ ...valid, callbackTimeout: 2 ** 64 })).to.throw(
      /callbackTimeout: .* is longer than/,
    );
    expect(() => normalizeTool({ ...valid, timeout: '30d' })).to.throw(/timeout: 30d is longer than/);
    expect(normalizeTool({ ...valid, callbackTimeout: '24d' }).callbackTimeoutMs).to.equal(24 * 86_400_000);
  });
});
