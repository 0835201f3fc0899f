import { mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ConsoleReporter } from '../evidence/console-reporter.ts';
import { HtmlReportReporter } from '../evidence/html-report.ts';
import { JsonlEvidenceWriter } from '../evidence/jsonl-writer.ts';
import { EVIDENCE_LOG_FILE, writeManifest } from '../evidence/manifest.ts';
import { manifestSignerFromPem } from '../evidence/manifest-signer.ts';
import { hanlabVersion, type ExitCriteriaRecord, type RunFacts } from '../evidence/run-facts.ts';
import { JunitReporter } from '../evidence/junit.ts';
import { EventStream, type Reporter } from '../evidence/reporter.ts';
import { ResultsCollector } from '../evidence/results.ts';
import { DEFAULT_EXIT_CRITERIA, evaluateExitCriteria, parseExitCriteria, ExitCriteriaError } from '../scenario/exit-criteria.ts';
import { loadScenarios } from '../scenario/loader.ts';
import { loadMatrixFile, type ConfigurationSet } from '../scenario/matrix.ts';
import { DEFAULT_RIG_PATH, loadRigFile, type Rig } from '../scenario/rig.ts';
import { ROLES } from '../scenario/roles.ts';
import { ScenarioRunner } from '../scenario/runner.ts';
import { selectScenarios, SelectionError } from '../scenario/selection.ts';
import type { Scenario } from '../scenario/types.ts';
import { formatSourceError } from '../scenario/yaml-source.ts';
import { premisesForRig } from '../scenario/simulated-premises.ts';
import { SplitExecutor } from '../scenario/split-executor.ts';
import { ScenarioWorkerPool } from '../scenario/worker-pool.ts';
import { exitOnInterrupt } from './interrupt.ts';
import { ioFor, type Io } from './io.ts';

/** Exit codes: 0 everything passed (or the exit criteria hold), 1 a failure or unmet exit criteria, 2 errors only or unusable input. */
const FAILED = 1;
const ERRORS = 2;

interface RunOptions {
  rig: string;
  tags?: string[];
  grep?: string;
  grepInvert?: string;
  dryRun?: boolean;
  seed: string;
  jobs: string;
  retries: string;
  matrix?: string;
  exitCriteria?: string;
  junit?: string;
  evidence?: string;
  signKey?: string;
  broker?: string;
  brokerUsername?: string;
  brokerPassword?: string;
}

async function loadSelection(paths: string[], opts: Pick<RunOptions, 'tags' | 'grep' | 'grepInvert'>, io: Io): Promise<Scenario[] | undefined> {
  const { scenarios, errors } = await loadScenarios(...(paths.length ? paths : ['scenarios']));
  if (errors.length) {
    for (const e of errors) io.err(`${formatSourceError(e)}\n`);
    io.err(`${errors.length} problem(s) in scenario files; nothing was run.\n`);
    return undefined;
  }
  try {
    return selectScenarios(scenarios, { ...(opts.tags ? { tags: opts.tags } : {}), ...(opts.grep ? { grep: opts.grep } : {}), ...(opts.grepInvert ? { grepInvert: opts.grepInvert } : {}) });
  } catch (e) {
    if (!(e instanceof SelectionError)) throw e;
    io.err(`${e.message}\n`);
    return undefined;
  }
}

function printPlan(io: Io, scenarios: Scenario[], sets: readonly ConfigurationSet[] | undefined, rig: Rig): void {
  io.out(`plan: ${scenarios.length} scenario(s)${sets ? ` × ${sets.length} configuration set(s)` : ''} on rig ${rig.id} (${rig.clock} clock, ${rig.bus.kind} bus)\n`);
  for (const set of sets ?? [undefined]) {
    if (set) io.out(`set ${set.id}: ${set.label}\n`);
    for (const s of scenarios) {
      io.out(`  ${s.id} — ${s.title} [${s.tags.join(', ')}] (${s.location.file})\n`);
      for (const step of s.steps) io.out(`    ${step.id}: ${step.name}\n`);
    }
  }
}

export function registerRunCommands(program: Command): void {
  program
    .command('run')
    .description('Run business scenarios (files or folders; default scenarios/) on the rig (default: everything simulated)')
    .argument('[paths...]', 'scenario files or folders')
    .option('--rig <file>', 'rig file binding roles to simulated or real devices', DEFAULT_RIG_PATH)
    .option('--tags <expr...>', 'run scenarios whose tags match: a,b any of; a+b all of; !a not')
    .option('--grep <regex>', 'run scenarios whose id or title matches')
    .option('--grep-invert <regex>', 'leave out scenarios whose id or title matches')
    .option('--dry-run', 'print the plan; bind and run nothing')
    .option('--seed <seed>', 'seed of the simulation: the same seed gives the same bytes', '1')
    .option('--jobs <n>', 'scenarios run at once: this thread and N-1 worker threads; "auto": one per core', '1')
    .option('--retries <n>', 'retries of a scenario that ended in error (never of a failure)', '0')
    .option('--matrix <file>', 'configuration sets: run the suite once per set')
    .option('--exit-criteria <criteria>', `exit gate, e.g. "pass-rate>=95%,critical-failures=0" (default ${DEFAULT_EXIT_CRITERIA})`)
    .option('--junit <file>', 'write JUnit XML')
    .option('--evidence <dir>', 'write the run\'s evidence into this folder: evidence.jsonl (every frame and outcome, hash-chained), junit.xml, report.html, signed manifest.json')
    .option('--sign-key <pem>', 'private key (PEM) that signs the evidence manifest (default: a labelled test key)')
    .option('--broker <url>', 'use this MQTT broker instead of the rig file\'s bus')
    .option('--broker-username <name>')
    .option('--broker-password <password>')
    .action(async (paths: string[], opts: RunOptions, command: Command) => {
      const io = ioFor(command);
      process.exitCode = await runCommand(paths, opts, io);
    });

  program
    .command('list')
    .description('List scenarios, their tags and the roles they need')
    .argument('[paths...]', 'scenario files or folders')
    .option('--tags <expr...>', 'only scenarios whose tags match')
    .option('--grep <regex>', 'only scenarios whose id or title matches')
    .action(async (paths: string[], opts: Pick<RunOptions, 'tags' | 'grep'>, command: Command) => {
      const io = ioFor(command);
      const scenarios = await loadSelection(paths, opts, io);
      if (!scenarios) {
        process.exitCode = ERRORS;
        return;
      }
      for (const s of scenarios) {
        const roles = ROLES.filter((r) => s.roles[r] !== undefined);
        io.out(`${s.id.padEnd(34)} ${s.title}\n${''.padEnd(35)}tags: ${s.tags.join(', ') || '-'}; roles: ${roles.join(', ')}; ${s.steps.length} steps\n`);
      }
      const tags = [...new Set(scenarios.flatMap((s) => s.tags))].sort();
      io.out(`${scenarios.length} scenario(s); tags: ${tags.join(', ')}\n`);
    });
}

function parseJobs(text: string): number | undefined {
  if (text === 'auto') return availableParallelism();
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}

async function runCommand(paths: string[], opts: RunOptions, io: Io): Promise<number> {
  const scenarios = await loadSelection(paths, opts, io);
  if (!scenarios) return ERRORS;
  const rigParse = await loadRigFile(opts.rig);
  if (!rigParse.ok) {
    for (const e of rigParse.errors) io.err(`${formatSourceError(e)}\n`);
    return ERRORS;
  }
  let rig = rigParse.rig;
  if (opts.broker) {
    rig = { ...rig, bus: { kind: 'mqtt', mqtt: { url: opts.broker, ...(opts.brokerUsername ? { username: opts.brokerUsername } : {}), ...(opts.brokerPassword ? { password: opts.brokerPassword } : {}) } } };
  }
  let sets: readonly ConfigurationSet[] | undefined;
  if (opts.matrix) {
    const m = await loadMatrixFile(opts.matrix);
    if (!m.ok) {
      for (const e of m.errors) io.err(`${formatSourceError(e)}\n`);
      return ERRORS;
    }
    sets = m.matrix.sets;
  }
  let criteria;
  try {
    criteria = parseExitCriteria(opts.exitCriteria ?? DEFAULT_EXIT_CRITERIA);
  } catch (e) {
    if (!(e instanceof ExitCriteriaError)) throw e;
    io.err(`--exit-criteria: ${e.message}\n`);
    return ERRORS;
  }
  if (opts.dryRun) {
    printPlan(io, scenarios, sets, rig);
    return 0;
  }
  if (scenarios.length === 0) {
    io.err('no scenario matches the selection\n');
    return ERRORS;
  }
  const jobs = parseJobs(opts.jobs);
  if (jobs === undefined) {
    io.err(`--jobs: expected a whole number from 1 or "auto", got ${JSON.stringify(opts.jobs)}\n`);
    return ERRORS;
  }
  const collector = new ResultsCollector();
  const reporters: Reporter[] = [collector, new ConsoleReporter({ stream: { write: (s: string) => (io.out(s), true) } as unknown as NodeJS.WritableStream, tty: process.stdout.isTTY === true })];
  const seed = /^\d+$/.test(opts.seed) ? Number(opts.seed) : opts.seed;
  let exitRecord: ExitCriteriaRecord | undefined;
  const facts = (): RunFacts => ({ hanlabVersion: hanlabVersion(), seed, rig: rig.id, ...(exitRecord ? { exitCriteria: exitRecord } : {}) });
  if (opts.junit) reporters.push(new JunitReporter(opts.junit));
  if (opts.evidence) {
    mkdirSync(opts.evidence, { recursive: true });
    reporters.push(new JsonlEvidenceWriter(join(opts.evidence, EVIDENCE_LOG_FILE)));
    if (!opts.junit) reporters.push(new JunitReporter(join(opts.evidence, 'junit.xml')));
    reporters.push(new HtmlReportReporter(join(opts.evidence, 'report.html'), { facts }));
  }
  const stream = new EventStream(reporters);
  exitOnInterrupt((message) => io.err(message));
  const runId = `run-${seed}-${new Date().toISOString().replace(/[:.]/g, '')}`;
  const judge = () => {
    const results = collector.results();
    return { results, verdict: evaluateExitCriteria(criteria, { counts: results.counts, criticalFailures: results.criticalFailures }) };
  };
  const premises = await premisesForRig(rig, { seed });
  // Simulated premises are pure computation: with --jobs N, scenarios run in this thread and N−1 worker threads,
  // so they share the cores rather than take turns on one.
  const pool = jobs > 1 ? new ScenarioWorkerPool({ size: jobs - 1, rig: premises.shared, seed }) : undefined;
  try {
    const executor = pool ? new SplitExecutor({ premises: premises.factory, seed }, pool) : undefined;
    const runner = new ScenarioRunner({ stream, premises: premises.factory, runId, seed, retries: Number(opts.retries), jobs, ...(executor ? { executor } : {}), ...(sets ? { sets } : {}), rig: rig.id });
    await runner.run(scenarios);
  } finally {
    await pool?.close();
    // The report and the manifest record the exit gate's verdict, also for a run cut short.
    const { verdict } = judge();
    exitRecord = { text: opts.exitCriteria ?? DEFAULT_EXIT_CRITERIA, ok: verdict.ok, reasons: verdict.verdicts.map((v) => `${v.criterion.text}: ${v.reason}`) };
    await stream.close();
    await premises.close();
  }
  if (opts.evidence) {
    const signer = opts.signKey ? manifestSignerFromPem(readFileSync(opts.signKey, 'utf8'), opts.signKey) : undefined;
    await writeManifest(opts.evidence, { facts: facts(), ...(signer ? { signer } : {}) });
    io.out(`evidence: ${opts.evidence} (evidence.jsonl, junit.xml, report.html, signed manifest.json; check with hanlab evidence verify)\n`);
  }
  const { results, verdict } = judge();
  if (!verdict.ok) {
    for (const v of verdict.failed) io.out(`exit criterion not met: ${v.criterion.text}: ${v.reason}\n`);
  }
  if (opts.exitCriteria) return verdict.ok ? 0 : FAILED;
  if (results.counts.fail > 0) return FAILED;
  if (results.counts.error > 0) return ERRORS;
  return 0;
}
