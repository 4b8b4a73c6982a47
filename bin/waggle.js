#!/usr/bin/env node
// The `waggle` command. Sources are TypeScript, loaded through tsx so that a fresh clone runs without a build step.
require('tsx/cjs');
require('../src/cli/main').main(process.argv);
