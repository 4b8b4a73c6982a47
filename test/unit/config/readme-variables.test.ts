import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { variablesMarkdown } from '../../../src/config';
import { REPO_ROOT } from '../../support';

describe('config: README', () => {
  it('lists every variable exactly as `waggle config --markdown` prints it', () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const block = /<!-- variables:start -->\n([\s\S]*?)\n<!-- variables:end -->/.exec(readme);
    expect(block, 'README variables block').to.not.equal(null);
    expect((block as RegExpExecArray)[1]).to.equal(
      variablesMarkdown(),
      'README is stale: paste the output of `node bin/waggle.js config --markdown` between the variables markers',
    );
  });
});
