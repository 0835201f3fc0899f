import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { KeyFormatError, publicKeyFromPem, type PublicKey } from '../crypto/keys.ts';
import { eventsOfScenario, EventLineFormatter } from '../evidence/event-lines.ts';
import { frameFields } from '../evidence/frame-view.ts';
import { renderHtmlReport } from '../evidence/html-report.ts';
import { EVIDENCE_LOG_FILE, ManifestError, readManifest, verifyManifest, type Manifest } from '../evidence/manifest.ts';
import { keyFingerprint, testManifestPublicKey } from '../evidence/manifest-signer.ts';
import { readEvidenceEvents, type EvidenceRead } from '../evidence/read-evidence.ts';
import type { RunFacts } from '../evidence/run-facts.ts';
import { ioFor, type Io } from './io.ts';

/** Exit codes: 0 all checks out, 1 a problem with the evidence, 2 input that could not be read. */
const PROBLEM = 1;
const UNREADABLE = 2;

class InputError extends Error {}

function guarded<A extends unknown[]>(action: (io: Io, ...args: A) => Promise<number>): (...args: [...A, Command]) => Promise<void> {
  return async (...args) => {
    const io = ioFor(args[args.length - 1] as Command);
    try {
      process.exitCode = await action(io, ...(args.slice(0, -1) as A));
    } catch (error) {
      if (!(error instanceof InputError || error instanceof ManifestError)) throw error;
      io.err(`hanlab evidence: ${error.message}\n`);
      process.exitCode = UNREADABLE;
    }
  };
}

function trustedKey(path: string | undefined): PublicKey {
  if (path === undefined) return testManifestPublicKey();
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read key ${path}: ${(error as Error).message}`);
  }
  try {
    return publicKeyFromPem(pem);
  } catch (error) {
    if (error instanceof KeyFormatError) throw new InputError(`key ${path}: ${error.message}`);
    throw error;
  }
}

/** A run's folder, or its evidence.jsonl given directly. */
function locateLog(target: string): { folder: string | undefined; log: string } {
  if (!existsSync(target)) throw new InputError(`${target}: no such folder or file`);
  if (statSync(target).isFile()) return { folder: undefined, log: target };
  const log = join(target, EVIDENCE_LOG_FILE);
  if (!existsSync(log)) throw new InputError(`${target}: no ${EVIDENCE_LOG_FILE} in this folder`);
  return { folder: target, log };
}

function readLog(log: string, io: Io): EvidenceRead {
  let read: EvidenceRead;
  try {
    read = readEvidenceEvents(log);
  } catch (error) {
    throw new InputError(`cannot read ${log}: ${(error as Error).message}`);
  }
  if (read.events.length === 0) throw new InputError(`${log}: no readable event${read.unreadable ? ` (line ${read.unreadable.line}: ${read.unreadable.reason})` : ''}`);
  if (read.unreadable) io.err(`hanlab evidence: ${log} line ${read.unreadable.line}: ${read.unreadable.reason}; using the ${read.events.length} event(s) before it\n`);
  return read;
}

function factsOf(manifest: Manifest): RunFacts {
  const { run } = manifest;
  return {
    hanlabVersion: run.hanlabVersion,
    ...(run.seed === undefined ? {} : { seed: run.seed }),
    ...(run.rig === undefined ? {} : { rig: run.rig }),
    ...(run.exitCriteria === undefined ? {} : { exitCriteria: run.exitCriteria }),
  };
}

/** The run's facts from its manifest (read, not verified: `evidence verify` does that), when there is one. */
function manifestFacts(folder: string | undefined, io: Io): RunFacts {
  if (folder === undefined || !existsSync(join(folder, 'manifest.json'))) return {};
  try {
    return factsOf(readManifest(folder).manifest);
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    io.err(`hanlab evidence: ${error.message}; the report leaves out the run's facts\n`);
    return {};
  }
}

async function verify(io: Io, dir: string, opts: { key?: string }): Promise<number> {
  const key = trustedKey(opts.key);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`${dir}: not a folder`);
  const verdict = await verifyManifest(dir, key);
  const { run, signer, files, evidenceLog } = verdict.manifest;
  const identity = [`run ${run.runId}`, run.seed === undefined ? undefined : `seed ${run.seed}`, run.rig === undefined ? undefined : `rig ${run.rig}`, `hanlab ${run.hanlabVersion}`];
  const lines = [
    `${dir}: ${identity.filter((part) => part !== undefined).join(' · ')}`,
    `  trusted key ${keyFingerprint(key)}${opts.key ? '' : ' (the hanlab test key; give --key for a harness key)'}; manifest names signer ${signer.fingerprint}`,
    `  checked: signature, ${files.length} file(s), ${evidenceLog.path} chain of ${evidenceLog.records} record(s)`,
    ...verdict.notes.map((note) => `  note: ${note}`),
    ...verdict.problems.map((problem) => `  PROBLEM (${problem.kind}) ${problem.message}`),
    verdict.ok ? 'OK: the signature, every file and the evidence chain check' : `NOT OK: ${verdict.problems.length} problem(s)`,
  ];
  io.out(`${lines.join('\n')}\n`);
  return verdict.ok ? 0 : PROBLEM;
}

async function report(io: Io, target: string, opts: { out?: string }): Promise<number> {
  const { folder, log } = locateLog(target);
  const out = opts.out ?? join(folder ?? '.', 'report.html');
  if (opts.out === undefined && existsSync(out)) throw new InputError(`${out} exists (it may be signed in the manifest); give --out FILE to write elsewhere`);
  const read = readLog(log, io);
  const warnings = read.unreadable ? [`The evidence log could not be read past line ${read.unreadable.line} (${read.unreadable.reason}); this report shows the ${read.events.length} events before it.`] : [];
  try {
    writeFileSync(out, renderHtmlReport(read.events, { facts: manifestFacts(folder, io), warnings }));
  } catch (error) {
    throw new InputError(`cannot write ${out}: ${(error as Error).message}`);
  }
  io.out(`wrote ${out} from ${read.events.length} event(s)\n`);
  return read.unreadable ? PROBLEM : 0;
}

async function show(io: Io, target: string, opts: { scenario?: string; json?: boolean }): Promise<number> {
  const read = readLog(locateLog(target).log, io);
  const events = opts.scenario === undefined ? read.events : eventsOfScenario(read.events, opts.scenario);
  if (opts.scenario !== undefined && !events.some((event) => event.type === 'scenario-start')) throw new InputError(`no scenario ${opts.scenario} in this run`);
  if (opts.json) {
    for (const event of events) {
      const decoded = event.type === 'frame' && event.decoded === undefined ? frameFields(event) : undefined;
      io.out(`${JSON.stringify(decoded === undefined ? event : { ...event, decoded })}\n`);
    }
  } else {
    const formatter = new EventLineFormatter();
    for (const event of events) formatter.onEvent(event);
    io.out(`${formatter.lines.join('\n')}\n`);
  }
  return read.unreadable ? PROBLEM : 0;
}

export function registerEvidenceCommands(program: Command): void {
  const evidence = program.command('evidence').description("A run's evidence folder: verify its signed manifest, rebuild its report, show its events");
  evidence
    .command('verify')
    .description('Check the manifest signature, every file hash and the evidence chain (exit 0 ok, 1 problems, 2 unreadable)')
    .argument('<dir>', "the run's evidence folder")
    .option('--key <pem>', 'public key (SPKI or certificate) trusted to have signed the manifest; default: the hanlab test key')
    .action(guarded(verify));
  evidence
    .command('report')
    .description('Rebuild report.html from evidence.jsonl (and the run facts in manifest.json)')
    .argument('<dir>', "the run's evidence folder, or an evidence.jsonl")
    .option('--out <file>', 'where to write the report (default DIR/report.html, which must not exist)')
    .action(guarded(report));
  evidence
    .command('show')
    .description("A run's frames and outcomes, one line per event, decoded")
    .argument('<dir>', "the run's evidence folder, or an evidence.jsonl")
    .option('--scenario <id>', 'only this scenario (in every configuration set)')
    .option('--json', 'one JSON event per line, GBCS frames with their decoded fields')
    .action(guarded(show));
}
