import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyStore } from '../src/crypto/keystore.ts';
import type { RunEvent } from '../src/evidence/events.ts';
import { JsonlEvidenceWriter } from '../src/evidence/jsonl-writer.ts';
import { EventStream, type Reporter } from '../src/evidence/reporter.ts';
import { ResultsCollector } from '../src/evidence/results.ts';
import { useCaseByMessageCode } from '../src/gbcs/catalogue.ts';
import { decodeMessage } from '../src/gbcs/message.ts';
import { GbcsSecurity } from '../src/gbcs/security.ts';
import { loadScenarios, parseScenario } from '../src/scenario/loader.ts';
import { ScenarioRunner, type PremisesFactory } from '../src/scenario/runner.ts';
import type { Scenario } from '../src/scenario/types.ts';
import { InfrastructureError } from '../src/scenario/premises.ts';
import { startEmbeddedBroker } from '../src/transport/embedded-broker.ts';
import { MqttBus } from '../src/transport/mqtt-bus.ts';
import { unwrapTunnel } from '../src/zcl/tunnel.ts';
import { SimulatedPremises } from '../src/scenario/simulated-premises.ts';

const simulated: PremisesFactory = (scenario, set, seed) => SimulatedPremises.create({ roles: scenario.roles, ...(set ? { set } : {}), seed });

async function run(scenarios: Scenario[], extra: Reporter[] = [], factory: PremisesFactory = simulated) {
  const results = new ResultsCollector();
  const stream = new EventStream([results, ...extra]);
  await new ScenarioRunner({ stream, premises: factory, runId: 'test', seed: 1 }).run(scenarios);
  await stream.close();
  return results.results();
}

function scenario(text: string): Scenario {
  const parsed = parseScenario(text, 'inline.yaml');
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join('; '));
  return parsed.scenario;
}

const TOP_UP = `
id: top-up-with-fault
title: A top-up while the meter drops every frame it sends
tags: [fault]
roles:
  chf:
  esme: { paymentMode: prepayment, balance: 5 GBP, commissioned: true }
defaults: { timeout: 30s }
steps:
  - id: read-before
    srv: "4.18"
    to: esme
    capture: { before: balance }
  - id: break-the-meter
    han: { device: esme, action: fault, kind: drop, direction: out }
  - id: top-up
    srv: "2.2"
    to: esme
    params: { amount: 10 GBP }
  - id: read-after
    expect-read: { srv: "4.18", to: esme, field: balance, op: changed-by, value: 10 GBP, since: "\${before}" }
`;

describe('the business scenarios on the simulator', () => {
  it('all pass, the negative ones by observing the refusal', async () => {
    const { scenarios, errors } = await loadScenarios('scenarios');
    expect(errors).toEqual([]);
    const ids = scenarios.map((s) => s.id);
    for (const id of ['install-and-commission', 'prepayment-top-up', 'comms-hub-replacement', 'change-of-mode', 'negative-forged-critical-command', 'negative-replayed-command', 'negative-join-not-in-device-log', 'negative-top-up-credit-mode']) {
      expect(ids).toContain(id);
    }
    const results = await run(scenarios);
    const failed = results.sets.flatMap((s) => s.scenarios).filter((s) => s.outcome !== 'pass');
    expect(failed.map((s) => `${s.scenarioId}: ${s.reason}`)).toEqual([]);
  });

  it('every GBCS frame in the evidence decodes with valid MACs and signatures, with the keys in fixtures/pki', async () => {
    const { scenarios } = await loadScenarios('scenarios');
    const dir = mkdtempSync(join(tmpdir(), 'evidence-'));
    const file = join(dir, 'evidence.jsonl');
    await run(scenarios.filter((s) => !s.id.startsWith('firmware')), [new JsonlEvidenceWriter(file)]);
    const security = new GbcsSecurity(KeyStore.fromFolders(['fixtures/pki']), { acb: '48414e4c41420002' });
    const records = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: RunEvent });
    // negative scenarios forge signatures on purpose: those frames must show as invalid, and nothing else may
    const forgedSteps = new Set(scenarios.flatMap((sc) => sc.steps.filter((st) => st.kind === 'srv' && st.attack === 'forged-signature').map((st) => `${sc.id}/${st.id}`)));
    let checked = 0;
    let forged = 0;
    for (const { event } of records) {
      if (event.type !== 'frame') continue;
      const bytes = Buffer.from(event.hex, 'hex');
      let gbcs: Uint8Array | undefined = event.protocol === 'gbcs' ? bytes : undefined;
      if (event.protocol === 'zcl') {
        try {
          gbcs = unwrapTunnel(bytes).data;
        } catch {
          continue; // metering reads and other plain ZCL
        }
      }
      // the sleepy GSME's polls of the GPF travel in the tunnel too, but are not GBCS
      if (!gbcs || (gbcs[0] !== 0xdd && gbcs[0] !== 0xdf)) continue;
      const m = decodeMessage(gbcs, security);
      const where = `${event.scenarioId}/${event.stepId ?? '-'} ${event.from}→${event.to} ${m.useCase ?? ''}`;
      expect(m.payloadError, where).toBeUndefined();
      // What the evidence itself says of the frame agrees with this independent check, except that the head-end's
      // view cannot check a MAC between two devices (a PPMID's top-up to its meter): that one it calls unverifiable.
      const recorded = (event.protocol === 'zcl' ? event.decoded?.gbcs : event.decoded) as { mac?: string; signature?: string } | undefined;
      const deviceToDevice = useCaseByMessageCode(m.frame.header.other.messageCode)?.hanOnly === true;
      expect(recorded?.signature, where).toBe(m.signature);
      expect(recorded?.mac, where).toBe(deviceToDevice ? 'unverifiable' : m.mac);
      if (forgedSteps.has(`${event.scenarioId}/${event.stepId}`) && m.frame.header.cra === 1) {
        expect(m.signature, where).toBe('invalid');
        expect(m.mac, where).toBe('valid');
        forged++;
        continue;
      }
      expect(['valid', 'absent'], where).toContain(m.mac);
      expect(['valid', 'absent'], where).toContain(m.signature);
      expect(m.mac === 'valid' || m.signature === 'valid', where).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
    expect(forged).toBeGreaterThan(0);
  });

  it('fails the right step, naming its expectation, when the meter drops every response', async () => {
    const results = await run([scenario(TOP_UP)]);
    const s = results.sets[0]!.scenarios[0]!;
    expect(s.outcome).toBe('fail');
    expect(s.decidingStep).toBe('top-up');
    expect(s.reason).toMatch(/top-up: no answer: .*response of 0012345678abcd00.*0x0007/);
    expect(s.steps.map((x) => x.outcome)).toEqual(['pass', 'pass', 'fail', 'skipped']);
  });

  it('ends in error, not fail, when the broker stops mid-run, and within its timeouts', async () => {
    const broker = await startEmbeddedBroker({ port: 0 });
    const overMqtt: PremisesFactory = (s, set, seed) =>
      SimulatedPremises.create({ roles: s.roles, seed, bus: async (clock) => MqttBus.connect({ url: broker.url, runId: 'broker-stop', ackTimeoutMs: 2000, clock }), isQuiet: () => true });
    const stopper: Reporter = {
      onEvent: (e) => {
        if (e.type === 'step-start' && e.stepId === 'break-the-meter') void broker.close();
      },
    };
    const text = TOP_UP.replace('han: { device: esme, action: fault, kind: drop, direction: out }', 'wait: 1s');
    const results = await run([scenario(text)], [stopper], overMqtt);
    const s = results.sets[0]!.scenarios[0]!;
    expect(s.steps[0]!.outcome).toBe('pass');
    expect(s.outcome).toBe('error');
    expect(s.reason).toMatch(/Broker|broker/);
  });
});

describe('retries and jobs', () => {
  it('retries a scenario that ended in error, never one that failed; runs scenarios in parallel', async () => {
    let attempts = 0;
    const flaky: PremisesFactory = async (s, set, seed) => {
      attempts++;
      if (s.id === 'flaky' && attempts === 1) throw new InfrastructureError('rig not reachable');
      return simulated(s, set, seed);
    };
    const flakyScenario = scenario(TOP_UP.replace('id: top-up-with-fault', 'id: flaky').replace(/  - id: break-the-meter\n.*\n/, ''));
    const failing = scenario(TOP_UP.replace('id: top-up-with-fault', 'id: failing'));
    const results = new ResultsCollector();
    const stream = new EventStream([results]);
    await new ScenarioRunner({ stream, premises: flaky, runId: 'retries', seed: 1, retries: 2, jobs: 2 }).run([flakyScenario, failing]);
    await stream.close();
    const byId = Object.fromEntries(results.results().sets[0]!.scenarios.map((x) => [x.scenarioId, x]));
    expect(byId.flaky!.attempts).toEqual(['error', 'pass']);
    expect(byId.flaky!.outcome).toBe('pass');
    expect(byId.failing!.attempts).toEqual(['fail']);
    expect(byId.failing!.outcome).toBe('fail');
  });
});

describe('hanlab run', () => {
  const hanlab = (...args: string[]) => spawnSync('node', ['bin/hanlab.js', ...args], { encoding: 'utf8', timeout: 120_000 });

  it('reports a scenario file with a typo at file:line:column with the expected keys, exit 2, nothing run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'typo-'));
    const file = join(dir, 'typo.yaml');
    writeFileSync(file, TOP_UP.replace('    to: esme\n    params: { amount: 10 GBP }', '    to: esme\n    parms: { amount: 10 GBP }'));
    const r = hanlab('run', file);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: unknown key "parms"; did you mean "params"\\?`));
    expect(r.stderr).toMatch(/expected one of id, name, timeout, srv, to, params/);
    expect(r.stdout).not.toMatch(/PASS|FAIL/);
  });

  it('runs the suite per configuration set: exactly the planted defect fails and the exit criteria say so', () => {
    const r = hanlab('run', 'scenarios/change-of-mode.yaml', 'scenarios/prepayment-top-up.yaml', '--matrix', 'fixtures/matrix/estate-sample.yaml', '--exit-criteria', 'pass-rate>=95%,critical-failures=0');
    expect(r.status).toBe(1);
    const row = (id: string) => r.stdout.split('\n').find((l) => l.startsWith(`${id} `)) ?? '';
    expect(row('change-of-mode').split(/\s+/).slice(1, 4)).toEqual(['PASS', 'PASS', 'FAIL']);
    expect(row('prepayment-top-up').split(/\s+/).slice(1, 4)).toEqual(['PASS', 'PASS', 'PASS']);
    expect(r.stdout).toMatch(/exit criterion not met: (pass-rate|critical-failures)/);
  });

  it('passes every scenario over the embedded MQTT broker, two at a time', () => {
    // Waits for answers run on the simulation's clock and the broker's acknowledgements on the real one: a device
    // that stays silent (a replay it refuses, a hub that has gone) times out in simulated time, not never.
    const r = hanlab('run', 'scenarios', '--rig', 'rigs/sim-mqtt.yaml', '--jobs', '2');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/(\d+) scenario run\(s\): \1 passed, 0 failed, 0 errored, 0 skipped/);
  });

  it('writes JUnit and signed evidence that verifies', () => {
    const dir = mkdtempSync(join(tmpdir(), 'run-'));
    const r = hanlab('run', 'scenarios/negative-join-not-in-device-log.yaml', '--evidence', join(dir, 'ev'), '--junit', join(dir, 'junit.xml'));
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toMatch(/<testcase [^>]*name="[^"]*negative-join-not-in-device-log/);
    const v = hanlab('evidence', 'verify', join(dir, 'ev'));
    expect(v.status).toBe(0);
  });
});
