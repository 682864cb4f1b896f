#!/usr/bin/env node
// The package's `bin`: the hwcap command (lib/cli/main.ts).
import { run } from './cli/main';

void run(process.argv.slice(2)).then((status) => {
  process.exitCode = status;
});
