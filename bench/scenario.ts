import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '../src/evidence/events.ts';
import { JsonlEvidenceWriter } from '../src/evidence/jsonl-writer.ts';
import { verifyEvidenceChain } from '../src/evidence/verify-chain.ts';
import { EventStream, type Reporter } from '../src/evidence/reporter.ts';
import { loadScenarioFile } from '../src/scenario/loader.ts';
import { ScenarioRunner, type PremisesFactory } from '../src/scenario/runner.ts';
import type { Scenario } from '../src/scenario/types.ts';
import { SimulatedPremises } from '../src/scenario/simulated-premises.ts';
import { rateAsync, withRatio, type Bench } from './harness.ts';

/** The lead's install scenario; the top-up one stands in while it is not there. */
const SCENARIO = 'scenarios/install-and-commission.yaml';
const FALLBACK = 'scenarios/prepayment-top-up.yaml';

const simulated: PremisesFactory = (scenario, set, seed) => SimulatedPremises.create({ roles: scenario.roles, ...(set ? { set } : {}), seed });

/** Fails the bench on any step that does not pass: a scenario that stops early would be measured as fast. */
class PassCheck implements Reporter {
  steps = 0;
  frames = 0;
  problem: string | undefined;
  onEvent(event: RunEvent): void {
    if (event.type === 'frame') this.frames++;
    if (event.type !== 'step-end') return;
    this.steps++;
    if (event.outcome !== 'pass') this.problem ??= `${event.stepId} ended in ${event.outcome}${event.reason ? `: ${event.reason}` : ''}`;
  }
}

async function loadScenario(): Promise<{ scenario: Scenario; file: string }> {
  const file = existsSync(SCENARIO) ? SCENARIO : FALLBACK;
  const parsed = await loadScenarioFile(file);
  if (!parsed.ok) throw new Error(`${file}: ${parsed.errors.map((e) => e.message).join('; ')}`);
  return { scenario: parsed.scenario, file };
}

interface Measured {
  perSecond: number;
  steps: number;
  frames: number;
  /** Evidence bytes written per scenario (evidence on). */
  evidenceBytes?: number;
}

/**
 * Complete runs of one scenario per second through ScenarioRunner on simulated premises (in-memory bus, virtual
 * clock), one run after another, with the hash-chained evidence log written to a temporary file or without it.
 */
async function measure(scenario: Scenario, evidence: boolean, seconds: number): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'hanlab-bench-'));
  const check = new PassCheck();
  const path = join(dir, 'evidence.jsonl');
  const writer = evidence ? new JsonlEvidenceWriter(path) : undefined;
  const stream = new EventStream(writer ? [check, writer] : [check]);
  let runs = 0;
  try {
    const perSecond = await rateAsync(async () => {
      await new ScenarioRunner({ stream, premises: simulated, runId: `bench-${++runs}`, seed: 1 }).run([scenario]);
      if (check.problem) throw new Error(`${scenario.id}: ${check.problem}`);
      return 1;
    }, seconds);
    await stream.close();
    if (writer) {
      // What was measured must be evidence that holds: the whole chain checks, outside the timing.
      const verdict = await verifyEvidenceChain(path);
      if (!verdict.ok) throw new Error(`the evidence log written does not verify: ${JSON.stringify(verdict)}`);
    }
    return { perSecond, steps: check.steps / runs, frames: check.frames / runs, ...(writer ? { evidenceBytes: statSync(path).size / runs } : {}) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Whole scenarios per second with evidence on: every frame decoded for people, hashed into the chain and written
 * to evidence.jsonl. Baseline: the same runs with the evidence log off (the runner's event stream still flows);
 * the ratio is the share of the speed that evidence keeps.
 */
export const scenarioInstallAndCommission: Bench = {
  name: 'scenario.install-and-commission',
  description: 'scenarios/s, install-and-commission on simulated premises with the evidence log written; baseline evidence off',
  async run({ seconds }) {
    const { scenario, file } = await loadScenario();
    const on = await measure(scenario, true, seconds);
    const off = await measure(scenario, false, seconds);
    return withRatio({
      bench: 'scenario.install-and-commission',
      value: Number(on.perSecond.toFixed(1)),
      unit: 'scenarios/s',
      baseline: Number(off.perSecond.toFixed(1)),
      note: `${file}${file === FALLBACK ? ' (install-and-commission.yaml not there yet)' : ''}: ${on.steps} steps, ${Math.round(on.frames)} frames, ${((on.evidenceBytes ?? 0) / 1024).toFixed(0)} KiB of evidence per run (target ≥ 100/s)`,
    });
  },
};
