import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { gbcsDecodeRtds } from './gbcs.ts';
import { otaTransferFast, otaTransferModelled } from './ota.ts';
import { scenarioInstallAndCommission } from './scenario.ts';
import { cryptoSignDeterministic, simDevicesMemory, simUseCasesCritical, simUseCasesNonCritical } from './sim.ts';
import type { Bench, BenchResult } from './harness.ts';

/** Every benchmark, in the order they run. The memory bench goes last: the heap it grows would slow those after it. */
export const BENCHES: Bench[] = [gbcsDecodeRtds, otaTransferFast, otaTransferModelled, cryptoSignDeterministic, simUseCasesNonCritical, simUseCasesCritical, scenarioInstallAndCommission, simDevicesMemory];

function line(r: BenchResult): string {
  const base = r.baseline === undefined ? '' : `  baseline ${r.baseline} ${r.unit}  ratio ${r.ratio}`;
  return `${r.bench.padEnd(32)} ${String(r.value).padStart(12)} ${r.unit}${base}${r.note ? `  (${r.note})` : ''}`;
}

const BENCH_ENTRY = fileURLToPath(new URL('../bin/bench.js', import.meta.url));

/**
 * Runs one bench in a fresh Node process: what an earlier bench leaves behind (a grown heap, compiled code shaped by
 * other work, worker threads) would otherwise weigh on the ones after it.
 */
function runIsolated(name: string, seconds: string): BenchResult {
  const child = spawnSync(process.execPath, [BENCH_ENTRY, '--here', '--json', '--seconds', seconds, `=${name}`], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const lastLine = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !lastLine.startsWith('{')) throw new Error(`bench ${name} failed (exit ${child.status}): ${child.stderr.trim() || child.stdout.trim()}`);
  return JSON.parse(lastLine) as BenchResult;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('bench')
    .option('--json', 'one JSON object per line')
    .option('--seconds <s>', 'seconds to measure each variant', '2')
    .option('--here', 'run the benches in this process, one after another, rather than each in its own')
    .argument('[filter]', 'run only benches whose name contains this (=name: exactly this one)')
    .parse(argv, { from: 'user' });
  const opts = program.opts<{ json?: boolean; seconds: string; here?: boolean }>();
  const filter = program.args[0];
  const selected = BENCHES.filter((b) => !filter || (filter.startsWith('=') ? b.name === filter.slice(1) : b.name.includes(filter)));
  for (const bench of selected) {
    const r = opts.here ? await bench.run({ seconds: Number(opts.seconds) }) : runIsolated(bench.name, opts.seconds);
    const { note, ...json } = r;
    process.stdout.write(`${opts.json ? JSON.stringify(opts.here ? r : json) : line(r)}\n`);
  }
  return 0;
}
