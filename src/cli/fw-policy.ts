/** `hanlab fw policy`: the N / N-1 firmware policy over a catalogue and an estate. Reads the files; judging is src/ota/policy. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkCatalogue, checkEstate, parseCatalogue, parseEstate, PolicyFileError, type Violation } from '../ota/policy/index.ts';
import { ioFor, type Io } from './io.ts';

/** Exit codes: 0 no violation, 1 violations, 2 a file that cannot be read or is not a valid catalogue or estate. */
const VIOLATIONS = 1;
const UNUSABLE_INPUT = 2;

class UnreadableFile extends Error {}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UnreadableFile(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function table(violations: Violation[]): string {
  const head = ['device', 'model', 'rule', 'severity', 'message'];
  const rows = violations.map((v) => [v.device ?? '-', v.model ?? '-', v.rule, v.severity, v.message]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => `${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`).join('');
}

interface PolicyOptions {
  catalogue: string;
  estate: string;
  json?: boolean;
}

function policy(io: Io, opts: PolicyOptions): number {
  const catalogue = parseCatalogue(readText(opts.catalogue, 'catalogue'), opts.catalogue);
  const estate = parseEstate(readText(opts.estate, 'estate'), opts.estate);
  const violations = [...checkCatalogue(catalogue), ...checkEstate(catalogue, estate)];
  const errors = violations.filter((v) => v.severity === 'error').length;
  const summary = {
    violations: violations.length,
    errors,
    warnings: violations.length - errors,
    models: catalogue.models.length,
    devices: estate.devices.length,
  };
  if (opts.json) {
    for (const v of violations) io.out(`${JSON.stringify(v)}\n`);
    io.out(`${JSON.stringify({ summary })}\n`);
  } else {
    if (violations.length > 0) io.out(table(violations));
    const counted = violations.length === 0 ? 'no violations' : `${plural(violations.length, 'violation')} (${plural(errors, 'error')}, ${plural(summary.warnings, 'warning')})`;
    io.out(`${counted} in ${plural(summary.models, 'model')} and ${plural(summary.devices, 'device')}\n`);
  }
  return violations.length > 0 ? VIOLATIONS : 0;
}

export function registerFwPolicyCommand(fw: Command): void {
  fw.command('policy')
    .description('Check a firmware catalogue and an estate against the N / N-1 upgrade policy (exit 0 none, 1 violations, 2 unreadable or invalid files)')
    .requiredOption('--catalogue <file>', 'firmware catalogue (YAML or JSON)')
    .requiredOption('--estate <file>', 'estate: devices, their versions and planned upgrades (YAML or JSON)')
    .option('--json', 'one JSON object per line: each violation, then {"summary": …}')
    .action((opts: PolicyOptions, command: Command) => {
      const io = ioFor(command);
      try {
        process.exitCode = policy(io, opts);
      } catch (e) {
        if (!(e instanceof UnreadableFile || e instanceof PolicyFileError)) throw e;
        io.err(`hanlab fw policy: ${e.message.replaceAll('\n', '\nhanlab fw policy: ')}\n`);
        process.exitCode = UNUSABLE_INPUT;
      }
    });
}
