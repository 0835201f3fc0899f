#!/usr/bin/env node
import './register-ts.mjs';

const { main } = await import('../bench/main.ts');
process.exitCode = await main(process.argv.slice(2));
