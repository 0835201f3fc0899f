#!/usr/bin/env node
// Runs the TypeScript sources directly (see ts-loader.mjs), so `npx hanlab` works right after `npm ci`.
import './register-ts.mjs';

const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
