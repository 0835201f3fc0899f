import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '../src/evidence/events.ts';
import { JsonlEvidenceWriter } from '../src/evidence/jsonl-writer.ts';
import { verifyEvidenceChain } from '../src/evidence/verify-chain.ts';
import { EventStream, type Reporter } from '../src/evidence/reporter.ts';
import { loadScenarioFile } from '../src/scenario/loader.ts';
import { loadRigFile } from '../src/scenario/rig.ts';
import { ScenarioRunner, type AttemptExecutor } from '../src/scenario/runner.ts';
import { premisesForRig, type RigPremises } from '../src/scenario/simulated-premises.ts';
import { SplitExecutor } from '../src/scenario/split-executor.ts';
import type { Scenario } from '../src/scenario/types.ts';
import { ScenarioWorkerPool } from '../src/scenario/worker-pool.ts';
import { rateAsync, withRatio, type Bench } from './harness.ts';

const SCENARIO = 'scenarios/install-and-commission.yaml';
const RIG = 'rigs/sim.yaml';
const WARM_UP_ROUNDS = 8;

/** Fails the bench on any step that does not pass: a scenario that stops early would be measured as fast. */
class PassCheck implements Reporter {
  steps = 0;
  frames = 0;
  problem: string | undefined;
  onEvent(event: RunEvent): void {
    if (event.type === 'frame') this.frames++;
    if (event.type !== 'step-end') return;
    this.steps++;
    if (event.outcome !== 'pass') this.problem ??= `${event.scenarioId}/${event.stepId} ended in ${event.outcome}${event.reason ? `: ${event.reason}` : ''}`;
  }
}

async function load(): Promise<{ scenario: Scenario; rig: RigPremises }> {
  const parsed = await loadScenarioFile(SCENARIO);
  if (!parsed.ok) throw new Error(`${SCENARIO}: ${parsed.errors.map((e) => e.message).join('; ')}`);
  const rig = await loadRigFile(RIG);
  if (!rig.ok) throw new Error(`${RIG}: ${rig.errors.map((e) => e.message).join('; ')}`);
  return { scenario: parsed.scenario, rig: await premisesForRig(rig.rig, { seed: 1 }) };
}

interface Measured {
  perSecond: number;
  steps: number;
  frames: number;
  evidenceBytes: number;
}

/**
 * Complete scenarios per second through ScenarioRunner on the simulated rig, with the hash-chained evidence log
 * written as `hanlab run --evidence` writes it, `jobs` at once as `hanlab run --jobs` runs them (this thread and
 * jobs−1 worker threads). Each round runs copies of the scenario under their own ids, so their premises are seeded
 * apart and no two runs are the same bytes.
 */
async function measure(scenario: Scenario, rig: RigPremises, jobs: number, seconds: number): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'hanlab-bench-'));
  const check = new PassCheck();
  const path = join(dir, 'evidence.jsonl');
  const stream = new EventStream([check, new JsonlEvidenceWriter(path)]);
  const pool = jobs > 1 ? new ScenarioWorkerPool({ size: jobs - 1, rig: rig.shared, seed: 1 }) : undefined;
  const executor: AttemptExecutor | undefined = pool && new SplitExecutor({ premises: rig.factory, seed: 1 }, pool);
  // Rounds long enough that the threads seldom wait for each other at a round's end, as in a suite.
  const perRound = 24 * jobs;
  let round = 0;
  let runs = 0;
  const runRound = async () => {
    round++;
    const copies = Array.from({ length: perRound }, (_, i) => ({ ...scenario, id: `${scenario.id}#${round}.${i}` }));
    await new ScenarioRunner({ stream, premises: rig.factory, runId: `bench-${round}`, seed: 1, jobs, ...(executor ? { executor } : {}) }).run(copies);
    if (check.problem) throw new Error(check.problem);
    runs += perRound;
    return perRound;
  };
  try {
    // Workers start, and every thread's engine compiles the code, before the clock runs. Much of a scenario's code
    // runs once per scenario (building premises, installing devices), so the engine gets to it only after a few
    // hundred scenarios: this measures the steady state a long suite or a matrix run reaches.
    for (let i = 0; i < WARM_UP_ROUNDS; i++) await runRound();
    const perSecond = await rateAsync(runRound, seconds);
    await stream.close();
    // What was measured must be evidence that holds: the whole chain checks, outside the timing.
    const verdict = await verifyEvidenceChain(path);
    if (!verdict.ok) throw new Error(`the evidence log written does not verify: ${JSON.stringify(verdict)}`);
    return { perSecond, steps: check.steps / runs, frames: check.frames / runs, evidenceBytes: statSync(path).size / runs };
  } finally {
    await pool?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Whole install-and-commission scenarios per second, evidence on (every frame decoded for people, hashed into the
 * chain and written to evidence.jsonl), as `hanlab run --jobs auto --evidence` runs a suite: one job per core.
 * Baseline: the same in one thread (--jobs 1); the ratio is what the extra cores bring.
 */
export const scenarioInstallAndCommission: Bench = {
  name: 'scenario.install-and-commission',
  description: 'scenarios/s, install-and-commission on the simulated rig with the evidence log written, one job per core; baseline one job',
  async run({ seconds }) {
    const { scenario, rig } = await load();
    try {
      const jobs = availableParallelism();
      const parallel = await measure(scenario, rig, jobs, seconds);
      const single = await measure(scenario, rig, 1, seconds);
      return withRatio({
        bench: 'scenario.install-and-commission',
        value: Number(parallel.perSecond.toFixed(1)),
        unit: 'scenarios/s',
        baseline: Number(single.perSecond.toFixed(1)),
        note: `--jobs ${jobs} on ${jobs} cores, after ${WARM_UP_ROUNDS * 24 * jobs} scenarios of warm-up; ${parallel.steps} steps, ${Math.round(parallel.frames)} frames, ${(parallel.evidenceBytes / 1024).toFixed(0)} KiB of evidence per scenario (target ≥ 100/s)`,
      });
    } finally {
      await rig.close();
    }
  },
};
