import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { p256 } from '@noble/curves/nist.js';
import type { Eui } from '../src/crypto/eui.ts';
import { signDeterministic } from '../src/crypto/ecdsa.ts';
import { deriveTestKey } from '../src/crypto/pki.ts';
import { decodeFrame } from '../src/gbcs/frame.ts';
import { HeadEnd, type CommandSpec } from '../src/headend/headend.ts';
import { ESME_SERVICE_REQUESTS } from '../src/headend/requests/esme.ts';
import { ServiceRequestRegistry } from '../src/headend/requests/registry.ts';
import type { RequestContext } from '../src/headend/requests/types.ts';
import { driveUntilSettled } from '../src/time/drive.ts';
import { Random } from '../src/time/random.ts';
import { VirtualClock } from '../src/time/virtual-clock.ts';
import { InMemoryBus } from '../src/transport/in-memory-bus.ts';
import { CommsHub } from '../sim/chf.ts';
import { SimPki } from '../sim/core/pki.ts';
import { ElectricityMeter } from '../sim/esme.ts';
import { rate, rateAsync, withRatio, type Bench } from './harness.ts';

// ---------------------------------------------------------------------------------------------------------------
// Memory

/** A full collection, with or without `--expose-gc` (the flag can be turned on at run time for a fresh context). */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

interface MemoryMeasure {
  /** Live V8 heap plus memory outside it that V8 accounts for (buffers), bytes per pair. */
  heap: number;
  /** Resident set, bytes per pair: also counts OpenSSL's key memory and heap pages kept free. */
  rss: number;
  /** Real ms to create, start and join the pairs. */
  buildMs: number;
}

/**
 * `pairs` hubs, each with one commissioned ESME in its device log and joined to it, all on one in-memory bus and
 * one virtual clock, as idle as a premises between use cases: measured after full collections, before and after.
 */
async function idlePairs(pairs: number): Promise<MemoryMeasure> {
  const gc = collector();
  const settle = () => {
    for (let i = 0; i < 3; i++) gc();
    return process.memoryUsage();
  };
  const clock = new VirtualClock();
  const bus = new InMemoryBus({ clock });
  const env = { clock, random: Random.fromSeed('bench/sim/memory'), bus };
  const pki = new SimPki(1);
  const installCode = (i: number) => Uint8Array.of(0x10, 0x20, 0x30, 0x40, i >>> 24, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff);
  const devices: (CommsHub | ElectricityMeter)[] = [];
  // One pair first, so that what every pair shares (modules, catalogue, the organisations' keys) is not counted.
  const make = async (i: number) => {
    const id = i.toString(16).padStart(8, '0');
    const hub = new CommsHub(env, `00aa0000${id}` as Eui, { pki, headEnd: 'headend' });
    const meter = new ElectricityMeter(env, `00bb0000${id}` as Eui, { pki, installCode: installCode(i), commissioned: true });
    await hub.start();
    await meter.start();
    hub.addToDeviceLog(meter.eui, 'ESME', meter.installCode);
    void meter.join(hub.eui);
    devices.push(hub, meter);
  };
  await make(0);
  await clock.advance(0);
  const before = settle();
  const started = performance.now();
  for (let i = 1; i <= pairs; i++) await make(i);
  await clock.advance(0); // every join request and response delivered
  const buildMs = performance.now() - started;
  const after = settle();
  const notJoined = devices.filter((d) => d instanceof ElectricityMeter && d.network !== 'joined').length;
  if (notJoined > 0) throw new Error(`${notJoined} meters did not join`);
  const heap = (after.heapUsed + after.external - before.heapUsed - before.external) / pairs;
  const rss = (after.rss - before.rss) / pairs;
  await bus.close();
  devices.length = 0;
  return { heap, rss, buildMs };
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/**
 * Bytes of heap per idle, commissioned, joined ESME with its own Comms Hub, 10,000 pairs in one process.
 * Baseline: the same with 1,000 pairs; the ratio (≈ 1) shows the cost is per pair and linear, not a fixed
 * overhead spread thin, and a ratio well away from 1 would flag growth that is not per device.
 */
export const simDevicesMemory: Bench = {
  name: 'sim.devices.memory',
  description: 'heap bytes per idle commissioned ESME with its hub, 10,000 pairs; baseline the same with 1,000 pairs',
  async run() {
    const large = await idlePairs(10_000);
    const small = await idlePairs(1_000);
    return withRatio({
      bench: 'sim.devices.memory',
      value: Math.round(large.heap),
      unit: 'bytes/pair',
      baseline: Math.round(small.heap),
      note: `${kib(large.heap)} heap, ${kib(large.rss)} RSS per pair; 10,000 pairs built and joined in ${(large.buildMs / 1000).toFixed(1)} s (target ≤ 20 KiB)`,
    });
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Use cases end to end

const registry = new ServiceRequestRegistry().add(...ESME_SERVICE_REQUESTS);

/** A head-end, a Comms Hub and a commissioned ESME joined to it, on an in-memory bus under a virtual clock. */
async function premises() {
  const clock = new VirtualClock();
  const bus = new InMemoryBus({ clock });
  const env = { clock, random: Random.fromSeed('bench/sim/usecases'), bus };
  const pki = new SimPki(1);
  const hub = new CommsHub(env, pki.roles.chf, { pki, headEnd: 'headend' });
  const meter = new ElectricityMeter(env, pki.roles.esme, { pki, installCode: Uint8Array.of(9, 8, 7, 6), commissioned: true });
  const keys = pki.headEndKeys();
  pki.addDevicePublicKeys(keys, hub.eui);
  pki.addDevicePublicKeys(keys, meter.eui);
  const headEnd = new HeadEnd({ bus, clock, keys, parties: { acb: pki.roles.acb, supplier: pki.roles.supplier, networkOperator: pki.roles.networkOperator }, responseTimeoutMs: 30_000 });
  await Promise.all([hub.start(), meter.start(), headEnd.start()]);
  hub.addToDeviceLog(meter.eui, 'ESME', meter.installCode);
  await driveUntilSettled(clock, meter.join(hub.eui));
  await clock.advance(0);
  if (meter.network !== 'joined') throw new Error('the bench meter did not join');
  const context = (): RequestContext => ({
    devices: { esme: meter.eui, chf: hub.eui },
    hub: hub.eui,
    now: clock.now(),
    parties: headEnd.parties,
    keys: headEnd.security.keys,
    nextCounter: (o) => headEnd.nextCounter(headEnd.senderEui(o?.sender), o?.topUp),
  });
  const spec = (srv: string): CommandSpec => {
    const [s] = registry.get(srv, 'esme')!.build({}, context());
    return { ...s!, hub: hub.eui };
  };
  return { clock, bus, hub, meter, headEnd, spec };
}

type Premises = Awaited<ReturnType<typeof premises>>;

const BATCH = 50;

/** `BATCH` service requests one after another, each built, sent, answered and its response checked. */
async function endToEnd(p: Premises, srv: string, critical: boolean): Promise<number> {
  await driveUntilSettled(
    p.clock,
    (async () => {
      for (let i = 0; i < BATCH; i++) {
        const { response } = await p.headEnd.send(p.spec(srv));
        const proof = critical ? response.signature : response.mac;
        if (proof !== 'valid') throw new Error(`${srv}: response ${critical ? 'signature' : 'MAC'} ${proof}`);
      }
    })(),
  );
  return BATCH;
}

/**
 * The GBCS work of the same use case with nothing around it (no bus, hub, tunnel, clock or use case handler):
 * the head-end builds (signs) and MACs the command, the meter's guard decodes and checks it, signs or MACs a
 * response, and the head-end decodes and checks that. The floor any end-to-end run of the use case stands on.
 */
function floorOnly(p: Premises, srv: string, critical: boolean): number {
  const answer = Uint8Array.of(0xc4, 0x01, 0x00, 0x00, 0x09, 0x04, 0x01, 0x02, 0x03, 0x04);
  for (let i = 0; i < BATCH; i++) {
    const { bytes } = p.headEnd.buildCommand(p.spec(srv));
    const admitted = p.meter.guard.admit(bytes);
    if (!admitted.ok) throw new Error(`${srv}: refused (${admitted.reason})`);
    const response = decodeFrame(p.meter.guard.respond(admitted.frame, answer, { signed: admitted.critical }));
    const proof = critical ? p.headEnd.security.verifySignature(response) : p.headEnd.security.verifyMac(response);
    if (proof !== 'valid') throw new Error(`${srv}: response proof ${proof}`);
  }
  return BATCH;
}

function useCaseBench(name: string, srv: string, useCase: string, critical: boolean, target: number): Bench {
  return {
    name,
    description: `${useCase} (${srv}) use cases/s head-end → hub → ESME → head-end in memory; baseline the same GBCS work without bus, hub or handler`,
    async run({ seconds }) {
      const e2e = await premises();
      const value = await rateAsync(() => endToEnd(e2e, srv, critical), seconds);
      await e2e.bus.close();
      const bare = await premises();
      const baseline = rate(() => floorOnly(bare, srv, critical), seconds);
      await bare.bus.close();
      return withRatio({
        bench: name,
        value: Math.round(value),
        unit: 'use cases/s',
        baseline: Math.round(baseline),
        note: `${useCase} ${critical ? 'signed by the supplier, answered signed by the meter' : 'MACed both ways'}; ${(1e6 / value).toFixed(0)} µs each end to end, ${(1e6 / baseline).toFixed(0)} µs of it GBCS build/check (target ≥ ${target}/s)`,
      });
    },
  };
}

export const simUseCasesNonCritical = useCaseBench('sim.usecases.noncritical', '11.2', 'ECS52 read firmware version', false, 5000);
export const simUseCasesCritical = useCaseBench('sim.usecases.critical', '8.1.1', 'ECS70 set clock (commission)', true, 1000);

// ---------------------------------------------------------------------------------------------------------------
// The signer critical use cases stand on

/**
 * Deterministic ECDSA P-256/SHA-256 signatures per second (RFC 6979 with k·G by OpenSSL, src/crypto/rfc6979.ts).
 * Baseline: @noble/curves' p256.sign, which gives the same bytes; the ratio is the speed-up.
 */
export const cryptoSignDeterministic: Bench = {
  name: 'crypto.sign.deterministic',
  description: 'RFC 6979 P-256 signatures/s (k·G by OpenSSL); baseline @noble/curves p256.sign, same bytes',
  run({ seconds }) {
    const key = deriveTestKey('bench', '0000000000000001', 'ds');
    const messages = Array.from({ length: 64 }, (_, i) => Random.fromSeed(`bench/sign/${i}`).bytes(120));
    for (const m of messages) {
      if (Buffer.compare(signDeterministic(key, m), p256.sign(m, key.scalar, { prehash: true, lowS: false })) !== 0) throw new Error('the fast signer and noble disagree');
    }
    const value = rate(() => {
      for (const m of messages) signDeterministic(key, m);
      return messages.length;
    }, seconds);
    const baseline = rate(() => {
      for (const m of messages) p256.sign(m, key.scalar, { prehash: true, lowS: false });
      return messages.length;
    }, seconds);
    return withRatio({
      bench: 'crypto.sign.deterministic',
      value: Math.round(value),
      unit: 'signatures/s',
      baseline: Math.round(baseline),
      note: `${(1e6 / value).toFixed(0)} µs per signature (noble ${(1e6 / baseline).toFixed(0)} µs), byte-identical`,
    });
  },
};

export const SIM_BENCHES: Bench[] = [cryptoSignDeterministic, simUseCasesNonCritical, simUseCasesCritical, simDevicesMemory];
