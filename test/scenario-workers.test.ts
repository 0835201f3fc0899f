import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../src/evidence/events.ts';
import { JsonlEvidenceWriter } from '../src/evidence/jsonl-writer.ts';
import { EventStream } from '../src/evidence/reporter.ts';
import { ResultsCollector } from '../src/evidence/results.ts';
import { verifyEvidenceChain } from '../src/evidence/verify-chain.ts';
import { loadScenarios } from '../src/scenario/loader.ts';
import { loadRigFile } from '../src/scenario/rig.ts';
import { ScenarioRunner, type AttemptExecutor } from '../src/scenario/runner.ts';
import { premisesForRig } from '../src/scenario/simulated-premises.ts';
import type { Scenario } from '../src/scenario/types.ts';
import { SplitExecutor } from '../src/scenario/split-executor.ts';
import { ScenarioWorkerPool } from '../src/scenario/worker-pool.ts';

const CRASHING_WORKER = new URL('./support/crashing-worker.mjs', import.meta.url);

async function suite(...files: string[]): Promise<Scenario[]> {
  const { scenarios, errors } = await loadScenarios(...files.map((f) => `scenarios/${f}.yaml`));
  expect(errors).toEqual([]);
  return scenarios;
}

/** Runs scenarios on rigs/sim.yaml, in this thread or in a worker pool, and returns every event and the results. */
async function runOnSim(scenarios: Scenario[], pool?: { size: number; workerUrl?: URL; alsoHere?: boolean }) {
  const parsed = await loadRigFile('rigs/sim.yaml');
  if (!parsed.ok) throw new Error('rigs/sim.yaml does not load');
  const rig = await premisesForRig(parsed.rig, { seed: 7 });
  const workers = pool ? new ScenarioWorkerPool({ size: pool.size, rig: rig.shared, seed: 7, ...(pool.workerUrl ? { workerUrl: pool.workerUrl } : {}) }) : undefined;
  const executor: AttemptExecutor | undefined = workers && pool?.alsoHere ? new SplitExecutor({ premises: rig.factory, seed: 7 }, workers) : workers;
  const events: RunEvent[] = [];
  const results = new ResultsCollector();
  const path = join(mkdtempSync(join(tmpdir(), 'workers-')), 'evidence.jsonl');
  const stream = new EventStream([results, new JsonlEvidenceWriter(path), { onEvent: (e) => void events.push(e) }]);
  try {
    await new ScenarioRunner({ stream, premises: rig.factory, runId: 'workers', seed: 7, jobs: pool?.size ?? 1, ...(executor ? { executor } : {}) }).run(scenarios);
  } finally {
    await stream.close();
    await workers?.close();
    await rig.close();
  }
  return { events, results: results.results(), evidence: await verifyEvidenceChain(path) };
}

const framesOf = (events: readonly RunEvent[], scenarioId: string) => events.flatMap((e) => (e.type === 'frame' && e.scenarioId === scenarioId ? [`${e.virtualTime} ${e.from}>${e.to} ${e.hex}`] : []));

describe('scenarios in worker threads', () => {
  it('give the same outcomes and the same bytes, scenario by scenario, as in one thread', async () => {
    const scenarios = await suite('install-and-commission', 'prepayment-top-up', 'negative-replayed-command', 'change-of-mode', 'negative-forged-critical-command');
    const here = await runOnSim(scenarios);
    const outcomes = (r: typeof here) => Object.fromEntries(r.results.sets[0]!.scenarios.map((s) => [s.scenarioId, s.outcome]));
    expect(Object.values(outcomes(here)).every((o) => o === 'pass')).toBe(true);
    // Two workers; and this thread with one worker, as `hanlab run --jobs 2` does.
    for (const pool of [{ size: 2 }, { size: 1, alsoHere: true }]) {
      const pooled = await runOnSim(scenarios, pool);
      expect(outcomes(pooled), JSON.stringify(pool)).toEqual(outcomes(here));
      for (const s of scenarios) {
        const frames = framesOf(pooled.events, s.id);
        expect(frames.length, s.id).toBeGreaterThan(0);
        expect(frames, s.id).toEqual(framesOf(here.events, s.id));
      }
      expect(pooled.evidence).toMatchObject({ ok: true, complete: true });
    }
  }, 60_000);

  it('end a scenario whose worker dies in error, close its steps, and run what was queued behind it elsewhere', async () => {
    const [install, topUp] = await suite('install-and-commission', 'prepayment-top-up');
    const crashing = { ...topUp!, id: 'crash-top-up' };
    // One worker: the crashing scenario runs first and the install scenario waits in the same worker's queue.
    const { events, results, evidence } = await runOnSim([crashing, install!], { size: 1, workerUrl: CRASHING_WORKER });
    const byId = Object.fromEntries(results.sets[0]!.scenarios.map((s) => [s.scenarioId, s]));
    expect(byId['crash-top-up']!.outcome).toBe('error');
    expect(byId['install-and-commission']!.outcome).toBe('pass');
    const ends = events.filter((e): e is Extract<RunEvent, { type: 'step-end' }> => e.type === 'step-end' && e.scenarioId === 'crash-top-up');
    expect(ends.map((e) => e.stepId)).toEqual(crashing.steps.map((s) => s.id));
    // The steps before the fault passed; the one it hit is an error naming it; the rest did not run.
    const hit = ends.findIndex((e) => e.outcome !== 'pass');
    expect(hit).toBeGreaterThan(0);
    expect(ends[hit]).toMatchObject({ outcome: 'error', reason: expect.stringContaining('planted worker fault') });
    expect(ends.slice(hit + 1).map((e) => e.outcome)).toEqual(ends.slice(hit + 1).map(() => 'skipped'));
    const end = events.find((e) => e.type === 'scenario-end' && e.scenarioId === 'crash-top-up');
    expect(end).toMatchObject({ outcome: 'error', reason: expect.stringContaining('worker thread') });
    expect(evidence).toMatchObject({ ok: true, complete: true });
  }, 60_000);
});
