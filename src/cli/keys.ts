import type { Command } from 'commander';
import { generatePki } from '../crypto/pki.ts';

export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('Test key material');
  keys
    .command('generate')
    .description('Make a test PKI: organisations (ACB, suppliers, network operator) and devices, DS and KA pairs')
    .requiredOption('--out <dir>', 'folder to write <eui>[-pp]-<ds|ka>.<pem|key> and roles.json into')
    .option('--seed <n>', 'seed: the same seed gives the same keys', '1')
    .action((opts: { out: string; seed: string }) => {
      const seed = /^\d+$/.test(opts.seed) ? Number(opts.seed) : opts.seed;
      const { roles, files } = generatePki(opts.out, seed);
      process.stdout.write(`wrote ${files.length} files to ${opts.out}\n`);
      for (const [role, eui] of Object.entries(roles)) process.stdout.write(`  ${role.padEnd(16)} ${eui}\n`);
    });
}
