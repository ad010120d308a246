#!/usr/bin/env node
'use strict';
// The CLI is written in TypeScript; tsx compiles it as it loads, so the repository needs no build step.
require('tsx/cjs/api').register();
require('./cli/main.ts')
  .main(process.argv)
  .then((exitCode) => {
    process.exitCode = exitCode;
  });
