import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeCiphered, encodeGeneralSigning } from '../src/gbcs/frame.ts';
import { SECURITY_HEADER } from '../src/gbcs/security.ts';
import { HeadEnd } from '../src/headend/headend.ts';
import { driveUntilSettled } from '../src/time/drive.ts';
import { Random } from '../src/time/random.ts';
import { TimeoutError } from '../src/time/timeout.ts';
import { VirtualClock } from '../src/time/virtual-clock.ts';
import { InMemoryBus } from '../src/transport/in-memory-bus.ts';
import { CommsHub } from '../sim/chf.ts';
import type { DeviceEnvironment } from '../sim/core/device.ts';
import { HanDevice } from '../sim/core/han-device.ts';
import { SimPki } from '../sim/core/pki.ts';

/** A minimal HAN device for exercising the framework: one critical and one non-critical use case. */
class EchoMeter extends HanDevice {
  readonly kind = 'ESME';
  commissionedFlag = true;
  handled: number[] = [];
  constructor(env: DeviceEnvironment, eui: string, pki: SimPki) {
    super(env, eui, { pki, installCode: Uint8Array.of(1, 2, 3, 4) });
    // 0x0062 (ECS70) is critical in the catalogue; 0x0059 (ECS52) is not.
    for (const code of [0x0062, 0x0059]) {
      this.useCase(code, ({ frame }) => {
        this.handled.push(code);
        return { payload: Uint8Array.of(0xda, frame.payload.length) };
      });
    }
  }
  get commissioned(): boolean {
    return this.commissionedFlag;
  }
}

async function rig() {
  const clock = new VirtualClock();
  const random = Random.fromSeed(1);
  const bus = new InMemoryBus({ clock });
  const env = { clock, random, bus };
  const pki = new SimPki(1);
  const hubEui = pki.roles.chf;
  const meterEui = pki.roles.esme;
  const hub = new CommsHub(env, hubEui, { pki, headEnd: 'headend' });
  const meter = new EchoMeter(env, meterEui, pki);
  const keys = pki.headEndKeys();
  pki.addDevicePublicKeys(keys, hubEui);
  pki.addDevicePublicKeys(keys, meterEui);
  const headEnd = new HeadEnd({ bus, clock, keys, parties: { acb: pki.roles.acb, supplier: pki.roles.supplier, networkOperator: pki.roles.networkOperator }, responseTimeoutMs: 30_000 });
  await Promise.all([hub.start(), meter.start(), headEnd.start()]);
  hub.addToDeviceLog(meterEui, 'ESME', meter.installCode);
  await driveUntilSettled(clock, meter.join(hubEui));
  await clock.runUntilIdle();
  const run = <T>(p: Promise<T>) => driveUntilSettled(clock, p);
  return { clock, bus, pki, hub, meter, headEnd, run, hubEui, meterEui };
}

describe('simulator core: head-end → hub → HAN device', () => {
  it('joins only with the install code in the device log', async () => {
    const r = await rig();
    expect(r.meter.network).toBe('joined');
    const stranger = new EchoMeter({ clock: r.clock, random: Random.fromSeed(2), bus: r.bus }, '0012345678abcd99', r.pki);
    await stranger.start();
    await r.run(stranger.join(r.hubEui));
    await r.clock.runUntilIdle();
    expect(stranger.network).toBe('refused');
    expect(stranger.lastJoinRefusal).toMatch(/not in the device log/);
  });

  it('carries a critical command through the tunnel and returns a device-signed response', async () => {
    const r = await rig();
    const result = await r.run(r.headEnd.send({ serviceRequest: '8.1.1', messageCode: 0x0062, target: r.meterEui, hub: r.hubEui, payload: Uint8Array.of(1, 2, 3), critical: true }));
    expect(r.meter.handled).toEqual([0x0062]);
    expect(result.response.signature).toBe('valid');
    expect(result.response.frame.header).toMatchObject({ cra: 2, originator: r.meterEui, recipient: r.pki.roles.supplier, counter: result.command.counter });
    expect(Array.from(result.response.frame.payload)).toEqual([0xda, 3]);
  });

  it('returns a MACed response to a non-critical command', async () => {
    const r = await rig();
    const result = await r.run(r.headEnd.send({ serviceRequest: '11.2', messageCode: 0x0059, target: r.meterEui, hub: r.hubEui, payload: Uint8Array.of(9), critical: false }));
    expect(result.response.mac).toBe('valid');
    expect(result.response.signature).toBe('absent');
  });

  it('refuses an unsigned critical command, a forged signature, a replayed counter, an unknown supplier and a wrong recipient — state unchanged', async () => {
    const r = await rig();
    const spec = { serviceRequest: '8.1.1', messageCode: 0x0062, target: r.meterEui, hub: r.hubEui, payload: Uint8Array.of(7), critical: true };
    const expectRefusal = async (bytes: Uint8Array, reason: string) => {
      const before = r.meter.handled.length;
      const header = decodeFrame(bytes).header;
      await expect(r.run(r.headEnd.sendBytes(bytes, r.hubEui, header, { timeoutMs: 5000 }))).rejects.toBeInstanceOf(TimeoutError);
      expect(r.meter.refusals.at(-1)?.reason).toBe(reason);
      expect(r.meter.handled.length).toBe(before);
    };
    // unsigned critical
    await expectRefusal(r.headEnd.buildCommand({ ...spec, critical: false }).bytes, 'unsigned-critical');
    // forged: signed by a supplier the meter does not trust, with the real supplier's name on it
    const good = r.headEnd.buildCommand(spec);
    const f = decodeFrame(good.bytes);
    const forgedSig = r.headEnd.security.sign(r.pki.roles.otherSupplier, f.signedData);
    const gs = encodeGeneralSigning({ header: f.header, payload: f.payload, signature: forgedSig });
    await expectRefusal(encodeCiphered(gs, SECURITY_HEADER, r.headEnd.security.computeMac(f.header, gs)!), 'bad-signature');
    // accepted once, then the same bytes again
    await r.run(r.headEnd.sendBytes(good.bytes, r.hubEui, good.header));
    await expectRefusal(good.bytes, 'replayed-counter');
    // a command from a supplier that is not a trust anchor (the ACB still MACs it)
    await expectRefusal(otherSupplierCommand(r), 'unknown-sender');
    expect(r.meter.handled).toEqual([0x0062]);
  });

  it('refuses a command addressed to another device, and one whose MAC does not check', async () => {
    const r = await rig();
    r.pki.addDevicePublicKeys(r.headEnd.security.keys, r.pki.roles.gsme);
    const forGas = r.headEnd.buildCommand({ serviceRequest: '11.2', messageCode: 0x0059, target: r.pki.roles.gsme, hub: r.hubEui, payload: Uint8Array.of(1), critical: false });
    expect(r.meter.guard.admit(forGas.bytes)).toMatchObject({ ok: false, reason: 'wrong-recipient' });
    const good = r.headEnd.buildCommand({ serviceRequest: '11.2', messageCode: 0x0059, target: r.meterEui, hub: r.hubEui, payload: Uint8Array.of(1), critical: false });
    const tampered = Uint8Array.from(good.bytes);
    tampered[tampered.length - 14]! ^= 0x40; // inside the payload, under the MAC
    expect(r.meter.guard.admit(tampered)).toMatchObject({ ok: false, reason: 'bad-mac' });
    expect(r.meter.guard.admit(good.bytes)).toMatchObject({ ok: true });
  });
});

function otherSupplierCommand(r: Awaited<ReturnType<typeof rig>>): Uint8Array {
  const rogue = new HeadEnd({ bus: r.bus, clock: r.clock, keys: r.pki.headEndKeys(), parties: { acb: r.pki.roles.acb, supplier: r.pki.roles.otherSupplier } });
  r.pki.addDevicePublicKeys(rogue.security.keys, r.meterEui);
  return rogue.buildCommand({ serviceRequest: '11.2', messageCode: 0x0059, target: r.meterEui, hub: r.hubEui, payload: Uint8Array.of(1), critical: false }).bytes;
}

describe('fault switches', () => {
  it('drop, delay, duplicate and corrupt frames, drift the clock, and power the device off and on', async () => {
    const r = await rig();
    const read = () => r.run(r.headEnd.send({ serviceRequest: '11.2', messageCode: 0x0059, target: r.meterEui, hub: r.hubEui, payload: Uint8Array.of(9), critical: false }, { timeoutMs: 10_000 }));
    const sent = () => r.meter.handled.length;

    r.meter.faults.set({ delay: { ms: 4000, direction: 'out' } });
    const t0 = r.clock.now();
    const delayed = await read();
    expect(delayed.response.at - t0).toBeGreaterThanOrEqual(4000);
    r.meter.faults.clear();

    r.meter.faults.set({ duplicate: { rate: 1, direction: 'in' } });
    const before = sent();
    await read();
    expect(sent() - before).toBe(1); // the second copy is a replay: refused by the counter check
    expect(r.meter.refusals.at(-1)?.reason).toBe('replayed-counter');
    r.meter.faults.clear();

    r.meter.faults.set({ corrupt: { rate: 1, direction: 'in' } });
    await expect(read()).rejects.toBeInstanceOf(TimeoutError);
    expect(['malformed', 'bad-mac']).toContain(r.meter.refusals.at(-1)?.reason);
    r.meter.faults.clear();

    r.meter.faults.set({ drop: { rate: 1, direction: 'out' } });
    await expect(read()).rejects.toBeInstanceOf(TimeoutError);
    r.meter.faults.clear();

    r.meter.faults.set({ clockDriftMs: -90_000 });
    expect(r.meter.deviceTime()).toBe(r.clock.now() - 90_000);
    r.meter.faults.clear();

    r.meter.powerOff();
    await expect(read()).rejects.toBeInstanceOf(TimeoutError);
    r.meter.powerOn();
    await read();
  });
});
