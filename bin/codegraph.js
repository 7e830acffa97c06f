#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is compiled to out/ on install (npm's prepare step).
const { main } = require('../out/cli/main.js');
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
