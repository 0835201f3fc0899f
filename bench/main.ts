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

export async function main(argv: string[]): Promise<number> {
  const program = new Command('bench')
    .option('--json', 'one JSON object per line')
    .option('--seconds <s>', 'seconds to measure each variant', '2')
    .argument('[filter]', 'run only benches whose name contains this')
    .parse(argv, { from: 'user' });
  const opts = program.opts<{ json?: boolean; seconds: string }>();
  const filter = program.args[0];
  for (const bench of BENCHES.filter((b) => !filter || b.name.includes(filter))) {
    const r = await bench.run({ seconds: Number(opts.seconds) });
    const { note, ...json } = r;
    process.stdout.write(`${opts.json ? JSON.stringify(json) : line(r)}\n`);
  }
  return 0;
}
