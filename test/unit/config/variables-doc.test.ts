import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { variablesMarkdown } from '../../../src/config';
import { REPO_ROOT } from '../../support';

describe('config: docs/configuration.md', () => {
  it('lists every variable exactly as `waggle config --markdown` prints it', () => {
    const page = readFileSync(path.join(REPO_ROOT, 'docs', 'configuration.md'), 'utf8');
    const block = /<!-- variables:start -->\n([\s\S]*?)\n<!-- variables:end -->/.exec(page);
    expect(block, 'docs/configuration.md variables block').to.not.equal(null);
    expect((block as RegExpExecArray)[1]).to.equal(
      variablesMarkdown(),
      'docs/configuration.md is stale: paste the output of `node bin/waggle.js config --markdown` between the variables markers',
    );
  });
});
