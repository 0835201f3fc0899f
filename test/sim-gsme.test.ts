import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Eui } from '../src/crypto/eui.ts';
import { KeyStore } from '../src/crypto/keystore.ts';
import { decodeFrame, encodeCiphered, encodeGeneralSigning } from '../src/gbcs/frame.ts';
import { decodeMessage, type DecodedMessage } from '../src/gbcs/message.ts';
import { isGroup, type GbzComponent, type GbzMessage, type Param } from '../src/gbcs/payload/gbz/index.ts';
import type { Json } from '../src/gbcs/payload/types.ts';
import { GbcsSecurity, SECURITY_HEADER } from '../src/gbcs/security.ts';
import { generateUtrn } from '../src/gbcs/utrn.ts';
import { HeadEnd, type ReceivedMessage } from '../src/headend/headend.ts';
import { GSME_RESPONSE_TIMEOUT_MS, GSME_SERVICE_REQUESTS } from '../src/headend/requests/gsme.ts';
import { ServiceRequestRegistry } from '../src/headend/requests/registry.ts';
import type { DeviceRole, RequestContext, RequestParams } from '../src/headend/requests/types.ts';
import { driveUntilSettled } from '../src/time/drive.ts';
import { Random } from '../src/time/random.ts';
import { TimeoutError } from '../src/time/timeout.ts';
import { VirtualClock } from '../src/time/virtual-clock.ts';
import { InMemoryBus } from '../src/transport/in-memory-bus.ts';
import { CommsHub } from '../sim/chf.ts';
import { SimPki } from '../sim/core/pki.ts';
import { GasProxyFunction } from '../sim/gpf.ts';
import { GasMeter, type GasMeterOptions } from '../sim/gsme.ts';
import { InHomeDisplay } from '../sim/ihd.ts';
import { PrepaymentInterface } from '../sim/ppmid.ts';
import { RTDS_KEYSTORE, RTDS_ROOT } from './support/rtds.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const INSTALL_CODE = Uint8Array.of(0x83, 0xfe, 0xd3, 0x40, 0x7a, 0x93, 0x97, 0x23, 0xa5, 0xc6, 0x39, 0xb2, 0x69, 0x16, 0xd5, 0x05, 0xc3, 0xb5);
const FIRST_WAKE = 10 * MINUTE;
const registry = new ServiceRequestRegistry().add(...GSME_SERVICE_REQUESTS);
/** No gas flows: balances stay put, so "unchanged" means unchanged. */
const NO_GAS = { consumption: { m3PerHour: 0 } };

interface RigOptions {
  seed?: number;
  gsme?: Partial<GasMeterOptions>;
}

interface Premises {
  hub: CommsHub;
  gpf: GasProxyFunction;
}

async function rig(o: RigOptions = {}) {
  const clock = new VirtualClock();
  const bus = new InMemoryBus({ clock });
  const env = { clock, random: Random.fromSeed(o.seed ?? 1), bus };
  const pki = new SimPki(1);
  const hub = new CommsHub(env, pki.roles.chf, { pki, headEnd: 'headend' });
  const gpf = new GasProxyFunction(env, pki.roles.gpf, { pki });
  gpf.attachTo(hub);
  const gsme = new GasMeter(env, pki.roles.gsme, { pki, installCode: INSTALL_CODE, gpf: gpf.eui, firstWakeAfterMs: FIRST_WAKE, ...o.gsme });
  const keys = pki.headEndKeys();
  for (const eui of [hub.eui, gpf.eui, gsme.eui]) pki.addDevicePublicKeys(keys, eui);
  const parties = { acb: pki.roles.acb, supplier: pki.roles.supplier, networkOperator: pki.roles.networkOperator };
  const headEnd = new HeadEnd({ bus, clock, keys, parties, responseTimeoutMs: GSME_RESPONSE_TIMEOUT_MS });
  const frames: string[] = [];
  bus.onFrame((e) => {
    if (e.kind === 'sent') frames.push(`${e.at} ${e.envelope.from}>${e.envelope.to} ${e.envelope.protocol} ${Buffer.from(e.envelope.payload).toString('hex')}`);
  });
  await Promise.all([hub.start(), gpf.start(), gsme.start(), headEnd.start()]);
  hub.addToDeviceLog(gsme.eui, 'GSME', gsme.installCode);
  gpf.addToDeviceLog({ deviceId: gsme.eui, deviceType: 'GSME' });
  await driveUntilSettled(clock, gsme.join(hub.eui));
  await clock.advance(0);
  const run = <T>(p: Promise<T>) => driveUntilSettled(clock, p);
  const context = (at: Premises): RequestContext => ({
    devices: { chf: at.hub.eui, gpf: at.gpf.eui, gsme: gsme.eui },
    hub: at.hub.eui,
    now: clock.now(),
    parties,
    keys,
    nextCounter: ({ topUp, sender } = {}) => headEnd.nextCounter(headEnd.senderEui(sender), topUp),
  });
  /** Starts a service request; resolves with its response (decoded with the head-end's keys) and outcome. */
  const send = (srv: string, target: DeviceRole, params: RequestParams = {}, at: Premises = { hub, gpf }) => {
    const definition = registry.get(srv, target);
    if (!definition) throw new Error(`no ${srv} for ${target}`);
    const [spec] = definition.build(params, context(at));
    return headEnd.send({ ...spec!, hub: at.hub.eui }).then((result) => {
      const decoded = decodeMessage(result.response.bytes, headEnd.security);
      return { result, decoded, outcome: definition.interpret(decoded, params) };
    });
  };
  const request = (srv: string, target: DeviceRole, params: RequestParams = {}, at?: Premises) => run(send(srv, target, params, at));
  const commission = async () => expect((await request('8.1.1', 'gsme')).outcome.success).toBe(true);
  return { clock, bus, env, pki, keys, hub, gpf, gsme, headEnd, parties, frames, run, send, request, commission };
}

type Rig = Awaited<ReturnType<typeof rig>>;

/** What a test can say about the meter's state: refusals must leave all of it as it was. */
function meterState(r: Rig) {
  const m = r.gsme.meter;
  return {
    mode: m.paymentMode,
    config: m.paymentControlConfiguration,
    balance: m.balanceGbp,
    ec: { ...m.emergencyCredit },
    supply: m.supply,
    pending: r.gsme.pendingModeChange,
    utrns: [...r.gsme.acceptedUtrnCounters],
    mprn: r.gsme.mprn,
    log: m.billingLog.length,
  };
}

// ---------------------------------------------------------------------------------------------- RTDS shapes

const rtdsSecurity = new GbcsSecurity(KeyStore.fromFolders([RTDS_KEYSTORE]));
const RTDS_ROLES: Record<string, string> = { '00db1234567890a1': 'gsme', '00db1234567890a3': 'gpf', '90b3d51f30010000': 'supplier', '90b3d51f30000002': 'acb' };

function rtds(folder: string, file: string): DecodedMessage {
  const bytes = new Uint8Array(Buffer.from(readFileSync(join(RTDS_ROOT, folder, file), 'utf8').trim(), 'hex'));
  return decodeMessage(bytes, rtdsSecurity);
}

function paramShape(p: Param): Json {
  return isGroup(p) ? [p.name, p.items.map((item) => item.map(paramShape))] : [p.name, p.dataType];
}

function componentShape(c: GbzComponent): Json {
  const p = c.payload;
  let payload: Json;
  if (!p) payload = 'not decrypted';
  else if (p.type === 'read-attributes-response') payload = p.records.map((rec) => [rec.attributeId, 'dataType' in rec ? rec.dataType : 'failed']);
  else if (p.type === 'read-attributes') payload = p.attributeIds;
  else if (p.type === 'command') payload = p.params.map(paramShape);
  else if (p.type === 'default-response') payload = [p.commandId, p.status === 0 ? 'success' : 'failed'];
  else payload = p.type;
  return { cluster: c.clusterId, control: c.control, frameControl: c.header.frameControl, commandId: c.header.commandId, sequence: c.header.sequence, payload };
}

/** ASN.1 fields with values replaced by their kinds; arrays by the distinct shapes of their items. */
function asn1Shape(v: Json): Json {
  if (Array.isArray(v)) return [...new Set(v.map((item) => JSON.stringify(asn1Shape(item))))].map((s) => JSON.parse(s) as Json);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asn1Shape(x)]));
  return typeof v;
}

function gbzShape(g: GbzMessage): Json {
  if (g.form !== 'alert') return { form: g.form, components: g.components.map(componentShape) };
  const b = g.body;
  return { form: 'alert', alertCode: g.alertCode, body: b.type === 'future-dated' ? { type: b.type, count: b.componentCount, cluster: b.clusterId, frameControl: b.frameControl, commandId: b.commandId } : b.type };
}

/** Everything about a message but its values: who to whom, framing, security, payload structure. */
function shape(m: DecodedMessage, roles: Record<string, string>): Json {
  const h = m.frame.header;
  const payload = m.payload;
  return {
    messageCode: h.other.messageCode,
    cra: h.cra,
    from: roles[h.originator] ?? h.originator,
    to: roles[h.recipient] ?? h.recipient,
    signed: (m.frame.signature?.length ?? 0) > 0,
    maced: m.frame.ciphering !== undefined,
    dateTime: h.dateTime !== undefined,
    kind: payload?.kind ?? 'undecoded',
    body: payload?.encoding === 'gbz' ? gbzShape(payload.tree as GbzMessage) : payload ? asn1Shape(payload.fields) : null,
  };
}

function ours(r: Rig, m: DecodedMessage | ReceivedMessage) {
  const decoded = 'payload' in m && 'kind' in m ? (m as DecodedMessage) : decodeMessage((m as ReceivedMessage).bytes, r.headEnd.security);
  expect(decoded.mac === 'valid' || decoded.signature === 'valid').toBe(true);
  expect([decoded.mac, decoded.signature]).not.toContain('invalid');
  return shape(decoded, { [r.gsme.eui]: 'gsme', [r.gpf.eui]: 'gpf', [r.parties.supplier]: 'supplier', [r.parties.acb]: 'acb' });
}

const theirs = (folder: string, file: string) => shape(rtds(folder, file), RTDS_ROLES);

// ---------------------------------------------------------------------------------------------- tests

describe('GSME behind the GPF: the sleepy poll', () => {
  it('holds a command at the GPF until the GSME wakes, and answers after (8.1.1 commissions it)', async () => {
    const r = await rig();
    expect(r.gsme.commissioned).toBe(false);
    const wakeAt = r.gsme.nextWakeAt!;
    const pending = r.send('8.1.1', 'gsme');
    let settled = false;
    void pending.then(() => (settled = true));
    await r.clock.advanceTo(wakeAt - 1);
    expect(settled).toBe(false);
    expect(r.gsme.awake).toBe(false);
    expect(r.gpf.waitingForGsme).toBe(1);
    const { result, decoded, outcome } = await r.run(pending);
    expect(result.response.at).toBeGreaterThanOrEqual(wakeAt);
    expect(r.gpf.waitingForGsme).toBe(0);
    expect(outcome).toMatchObject({ success: true, fields: { deviceTimeStatus: 'reliable' } });
    expect(r.gsme.commissioned).toBe(true);
    expect(ours(r, decoded)).toEqual(theirs('8.1.1_GCS28Commission', 'GCS28Commission_8.1.1_SUCCESS_RESPONSE_GBCS.HEX'));
  });

  it('delivers several waiting commands in one wake, in order, and sleeps again', async () => {
    const r = await rig({ gsme: { commissioned: true } });
    const first = r.send('11.2', 'gsme');
    const second = r.send('6.2.9', 'gsme');
    const [a, b] = await r.run(Promise.all([first, second]));
    expect(a.outcome).toEqual({ success: true, fields: { firmwareVersion: '01000000' } });
    expect(b.outcome).toEqual({ success: true, fields: { paymentControlConfiguration: '0x0c94', mode: 'credit' } });
    expect(a.result.response.at).toBe(b.result.response.at);
    await r.clock.advance(MINUTE);
    expect(r.gsme.awake).toBe(false);
    expect(r.gsme.nextWakeAt).toBe(r.clock.now() - MINUTE + 30 * MINUTE);
  });

  it('a command for a GSME that is powered off waits for it, and is answered once it is back', async () => {
    const r = await rig({ gsme: { commissioned: true } });
    r.gsme.powerOff();
    const pending = r.send('11.2', 'gsme');
    await r.clock.advance(FIRST_WAKE + MINUTE);
    expect(r.gpf.waitingForGsme).toBe(1);
    r.gsme.powerOn();
    const poweredOnAt = r.clock.now();
    const { outcome, result } = await r.run(pending);
    expect(outcome.success).toBe(true);
    expect(result.response.at).toBeGreaterThan(poweredOnAt);
    expect(result.response.at - poweredOnAt).toBeLessThan(r.gsme.wakeIntervalMs);
  });

  it('reports its registers to the GPF mirror each wake; the GPF answers GCS60a and GCS14 from it at once', async () => {
    const r = await rig({ gsme: { commissioned: true, paymentMode: 'prepayment', balanceGbp: 20, consumption: { m3PerHour: 0.5, variation: 0 } } });
    await r.clock.advance(FIRST_WAKE);
    expect(r.gpf.mirror.updatedAt).toBe(r.clock.now());
    const balanceAtReport = r.gsme.meter.balanceGbp;
    await r.clock.advance(5 * MINUTE);
    const sentAt = r.clock.now();
    const viaGpf = await r.request('4.18', 'gpf');
    expect(viaGpf.result.response.at).toBe(sentAt);
    expect(viaGpf.result.response.frame.header.originator).toBe(r.gpf.eui);
    expect(viaGpf.outcome.fields.balanceGbp).toBeCloseTo(balanceAtReport, 4);
    expect(viaGpf.outcome.fields.balanceGbp).toBeGreaterThan(r.gsme.meter.balanceGbp);
    expect(ours(r, viaGpf.decoded)).toEqual(theirs('4.18_GCS60a', 'GCS60a_4.18_SUCCESS_RELIABLE_GPF_RESPONSE_GBCS.HEX'));
    const registers = await r.request('4.3', 'gpf');
    expect(registers.outcome).toMatchObject({ success: true, fields: { currency: 826, emergencyCreditRemainingGbp: 10, debtsGbp: [0, 0, 0] } });
    expect(ours(r, registers.decoded)).toEqual(theirs('4.3_GCS14', 'GCS14_4.3_SUCCESS_RELIABLE_GPF_RESPONSE_GBCS.HEX'));
  });
});

describe('GSME use cases end to end, with RTDS response shapes', () => {
  it('reads: GCS14, GCS60, GCS21j, GCS38 from the GSME itself', async () => {
    const r = await rig({ gsme: { commissioned: true, paymentMode: 'prepayment', balanceGbp: 7.25, ...NO_GAS, firmwareVersion: 0x0203abcd } });
    const prepay = await r.request('4.3', 'gsme');
    expect(prepay.outcome).toMatchObject({ success: true, fields: { balanceGbp: 7.25, emergencyCreditRemainingGbp: 10 } });
    expect(ours(r, prepay.decoded)).toEqual(theirs('4.3_GCS14', 'GCS14_4.3_SUCCESS_UNRELIABLE_RESPONSE_GBCS.HEX'));
    const balance = await r.request('4.18', 'gsme');
    expect(balance.outcome).toEqual({ success: true, fields: { billToDateGbp: 0, balanceGbp: 7.25 } });
    expect(ours(r, balance.decoded)).toEqual(theirs('4.18_GCS60', 'GCS60_4.18_SUCCESS_RESPONSE_GBCS.HEX'));
    const mode = await r.request('6.2.9', 'gsme');
    expect(mode.outcome.fields.mode).toBe('prepayment');
    expect(ours(r, mode.decoded)).toEqual(theirs('6.2.9_GCS21j', 'GCS21j_6.2.9_SUCCESS_RESPONSE_GBCS.HEX'));
    const firmware = await r.request('11.2', 'gsme');
    expect(firmware.outcome.fields.firmwareVersion).toBe('0203abcd');
    expect(ours(r, firmware.decoded)).toEqual(theirs('11.2_GCS38', 'GCS38_11.2_SUCCESS_RESPONSE_GBCS.HEX'));
  });

  it('GCS41 sets the MPRN; a malformed one is refused with the state unchanged', async () => {
    const r = await rig({ gsme: { commissioned: true } });
    const set = await r.request('6.20.1', 'gsme', { mpxn: '7362845910' });
    expect(set.outcome).toEqual({ success: true, fields: { mprn: '7362845910' } });
    expect(r.gsme.mprn).toBe('7362845910');
    expect(ours(r, set.decoded)).toEqual(theirs('6.20.1_GCS41', 'GCS41_6.20.1_SUCCESS_RESPONSE_GBCS.HEX'));
    const bad = await r.request('6.20.1', 'gsme', { mpxn: 'ABC' });
    expect(bad.outcome).toMatchObject({ success: false, error: 'invalid-parameters' });
    expect(r.gsme.mprn).toBe('7362845910');
    expect(ours(r, bad.decoded)).toEqual(theirs('6.20.1_GCS41', 'GCS41_6.20.1_ERROR_RESPONSE_GBCS.HEX'));
  });

  it('GCS06 activates emergency credit only when the balance is low enough', async () => {
    const high = await rig({ gsme: { commissioned: true, paymentMode: 'prepayment', balanceGbp: 5, ...NO_GAS } });
    const before = meterState(high);
    const refused = await high.request('2.5', 'gsme');
    expect(refused.outcome).toMatchObject({ success: false, error: 'failure' });
    expect(meterState(high)).toEqual(before);
    expect(ours(high, refused.decoded)).toEqual(theirs('2.5_GCS06', 'GCS06_2.5_ERROR_RESPONSE_GBCS.HEX'));
    const low = await rig({ gsme: { commissioned: true, paymentMode: 'prepayment', balanceGbp: 1, ...NO_GAS } });
    const activated = await low.request('2.5', 'gsme');
    expect(activated.outcome.success).toBe(true);
    expect(low.gsme.meter.emergencyCredit.active).toBe(true);
    expect(ours(low, activated.decoded)).toEqual(theirs('2.5_GCS06', 'GCS06_2.5_SUCCESS_RESPONSE_GBCS.HEX'));
  });

  it('refuses prepayment use cases before commissioning, and runs them after', async () => {
    const r = await rig({ gsme: { paymentMode: 'prepayment', ...NO_GAS } });
    const before = meterState(r);
    const early = await r.request('2.2', 'gsme', { amount: 10 });
    expect(early.outcome).toMatchObject({ success: false, error: 'not-commissioned' });
    expect(meterState(r)).toEqual(before);
    expect(r.gsme.refusals.at(-1)?.reason).toBe('not-commissioned');
    await r.commission();
    const later = await r.request('2.2', 'gsme', { amount: 10 });
    expect(later.outcome).toMatchObject({ success: true, fields: { topUpValueGbp: 10, balanceGbp: 10 } });
  });
});

describe('top-up by UTRN (2.2, CS01b)', () => {
  it('credits once; the same command again is refused and a reused UTRN is refused, the balance unchanged', async () => {
    const r = await rig({ gsme: { commissioned: true, paymentMode: 'prepayment', balanceGbp: 3, ...NO_GAS } });
    const { result, decoded, outcome } = await r.request('2.2', 'gsme', { amount: { value: 12.5, unit: 'GBP' } });
    expect(outcome).toEqual({ success: true, fields: { resultType: 0, topUpValueGbp: 12.5, balanceGbp: 15.5 } });
    expect(r.gsme.meter.balanceGbp).toBe(15.5);
    expect(ours(r, decoded)).toEqual(theirs('2.2_CS01b', 'CS01b_2.2_SUCCESS_RESPONSE_GBCS.HEX'));
    const utrn = readTopUpCode(result.command.bytes);
    const after = meterState(r);

    // the same command bytes again: top-ups may arrive out of order, so it is the UTRN cache that refuses the replay
    const replay = decodeFrame(result.command.bytes).header;
    const replayed = await r.run(r.headEnd.sendBytes(result.command.bytes, r.hub.eui, replay));
    expect(registry.get('2.2', 'gsme')!.interpret(decodeMessage(replayed.response.bytes, r.headEnd.security), {})).toMatchObject({ success: false, error: 'utrn-duplicate' });
    expect(meterState(r)).toEqual(after);

    // the same UTRN in a new command: its counter no longer matches, so the meter rejects it
    const resent = await r.request('2.2', 'gsme', { utrn });
    expect(resent.outcome).toMatchObject({ success: false, error: 'utrn-rejected', fields: { balanceGbp: 15.5 } });
    expect(meterState(r)).toEqual(after);

    // typed on the keypad (or a PPMID): the UTRN counter cache knows it
    expect(r.gsme.applyUtrn(utrn)).toMatchObject({ accepted: false, reason: 'reused-counter' });
    expect(meterState(r)).toEqual(after);
  });

  it('rejects a UTRN whose MAC does not check with the RTDS error shape, and accepts the next good one', async () => {
    const r = await rig({ gsme: { commissioned: true, paymentMode: 'prepayment', ...NO_GAS } });
    const forged = await r.request('2.2', 'gsme', { utrn: '73946144332040217315' });
    expect(forged.outcome).toMatchObject({ success: false, error: 'utrn-rejected', fields: { resultType: 1, balanceGbp: 0 } });
    expect(ours(r, forged.decoded)).toEqual(theirs('2.2_CS01b', 'CS01b_2.2_ERROR_RESPONSE_GBCS.HEX'));
    const good = await r.request('2.2', 'gsme', { value: 20, valueClass: 'pounds' });
    expect(good.outcome).toMatchObject({ success: true, fields: { balanceGbp: 20 } });
  });

  it('in prepayment, gas spends credit until the valve shuts; a top-up arms it and the button opens it', async () => {
    const r = await rig({ gsme: { commissioned: true, paymentMode: 'prepayment', balanceGbp: 1, consumption: { m3PerHour: 0.5, variation: 0 } } });
    const costPerHour = 0.5 * r.gsme.meter.costPerM3Gbp;
    await r.clock.advance(HOUR);
    expect(r.gsme.meter.balanceGbp).toBeCloseTo(1 - costPerHour, 6);
    await r.clock.advance(5 * HOUR);
    expect(r.gsme.meter.supply).toBe('disabled');
    expect(r.gsme.meter.balanceGbp).toBeCloseTo(0, 9);
    expect(r.gsme.meter.volumeM3).toBeCloseTo(1 / r.gsme.meter.costPerM3Gbp, 6);
    const volumeWhenShut = r.gsme.meter.volumeM3;
    expect(r.gsme.meter.energyKWh).toBeCloseTo((volumeWhenShut * 1.02264 * 39.5) / 3.6, 9);
    await r.clock.advance(HOUR);
    expect(r.gsme.meter.volumeM3).toBe(volumeWhenShut);
    await r.request('2.2', 'gsme', { amount: 5 });
    expect(r.gsme.meter.supply).toBe('armed');
    expect(r.gsme.pressButton()).toBe(true);
    expect(r.gsme.meter.supply).toBe('enabled');
  });
});

describe('change of payment mode (1.6, GCS02 / GCS03)', () => {
  it('changes mode at once, recording a change-of-mode snapshot that GCS15b returns', async () => {
    const r = await rig({ gsme: { commissioned: true, balanceGbp: 8, ...NO_GAS } });
    const toPrepayment = await r.request('1.6', 'gsme', { mode: 'prepayment' });
    expect(toPrepayment.outcome).toMatchObject({ success: true, fields: { mode: 'prepayment', emergencyCreditLimitGbp: 10, emergencyCreditThresholdGbp: 2 } });
    expect(r.gsme.meter.paymentMode).toBe('prepayment');
    expect(ours(r, toPrepayment.decoded)).toEqual(theirs('1.6_GCS03', 'GCS03_1.6_IMMEDIATE_SUCCESS_RESPONSE_GBCS.HEX'));
    await r.clock.advance(HOUR);
    expect((await r.request('1.6', 'gsme', { mode: 'credit' })).outcome.success).toBe(true);
    expect(r.gsme.meter.paymentMode).toBe('credit');
    const log = await r.request('4.4.2', 'gsme');
    expect(log.outcome.success).toBe(true);
    const snapshots = log.outcome.fields.snapshots as { kind: string; cause: string; balanceGbp?: number }[];
    expect(snapshots.map((s) => [s.kind, s.cause])).toEqual([
      ['prepayment', '0x00004000'],
      ['prepayment', '0x00004000'],
      ['consumption', '0x00004000'],
      ['consumption', '0x00004000'],
    ]);
    expect(snapshots[0]!.balanceGbp).toBe(8);
    expect(ours(r, log.decoded)).toEqual(theirs('4.4.2_GCS15b', 'GCS15b_4.4.2_SUCCESS_RESPONSE_GBCS.HEX'));
  });

  it('a future-dated change waits for its time on the meter clock, then raises 0x8F66', async () => {
    const r = await rig({ gsme: { commissioned: true, paymentMode: 'prepayment', balanceGbp: 4, ...NO_GAS } });
    const executeAt = r.clock.now() + 3 * HOUR;
    const { result, decoded, outcome } = await r.request('1.6', 'gsme', { mode: 'credit', executeAt: new Date(executeAt).toISOString() });
    expect(outcome.success).toBe(true);
    expect(ours(r, decoded)).toEqual(theirs('1.6_GCS02', 'GCS02_1.6_FUTURE_DATED_SUCCESS_RESPONSE_GBCS.HEX'));
    expect(r.gsme.meter.paymentMode).toBe('prepayment');
    expect(r.gsme.pendingModeChange?.at).toBe(executeAt);
    const alert = await r.run(r.headEnd.waitForAlert((m) => m.frame.header.other.messageCode === 0x00cd, 4 * HOUR, 'the future-dated alert'));
    expect(alert.at).toBe(executeAt);
    expect(alert.signature).toBe('valid');
    expect(r.gsme.meter.paymentMode).toBe('credit');
    expect(r.gsme.pendingModeChange).toBeUndefined();
    const body = decodeMessage(alert.bytes, r.headEnd.security).payload?.tree as GbzMessage;
    expect(body).toMatchObject({ form: 'alert', alertCode: 0x8f66, body: { type: 'future-dated', messageCode: 0x006c, originatorCounter: result.command.counter } });
    expect(ours(r, alert)).toEqual(theirs('1.6_GCS02', 'GCS02_1.6_8F66_FUTURE_DATED_SUCCESS_ALERT_CHANGE_PAYMENT_MODE_GBCS.HEX'));
  });

  it('a cancellation removes the pending change', async () => {
    const r = await rig({ gsme: { commissioned: true, ...NO_GAS } });
    await r.request('1.6', 'gsme', { mode: 'prepayment', executeAt: { kind: 'after', ms: 2 * HOUR } });
    expect(r.gsme.pendingModeChange).toBeDefined();
    const cancelled = await r.request('1.6', 'gsme', { mode: 'prepayment', cancel: true });
    expect(cancelled.outcome.success).toBe(true);
    expect(r.gsme.pendingModeChange).toBeUndefined();
    await r.clock.advance(3 * HOUR);
    expect(r.gsme.meter.paymentMode).toBe('credit');
    expect(r.headEnd.alerts.filter((a) => a.frame.header.other.messageCode === 0x00cd)).toHaveLength(0);
  });

  it('with the refuse-future-dated-mode-change defect, refuses a future-dated change (RTDS error shape) but takes an immediate one', async () => {
    const r = await rig({ gsme: { commissioned: true, balanceGbp: 2, ...NO_GAS, defects: ['refuse-future-dated-mode-change'] } });
    const before = meterState(r);
    const refused = await r.request('1.6', 'gsme', { mode: 'prepayment', executeAt: { kind: 'after', ms: HOUR } });
    expect(refused.outcome).toMatchObject({ success: false, error: 'failure' });
    expect(meterState(r)).toEqual(before);
    expect(ours(r, refused.decoded)).toEqual(theirs('1.6_GCS03', 'GCS03_1.6_IMMEDIATE_ERROR_RESPONSE_GBCS.HEX'));
    expect((await r.request('1.6', 'gsme', { mode: 'prepayment' })).outcome.success).toBe(true);
    expect(r.gsme.meter.paymentMode).toBe('prepayment');
  });
});

describe('security: refusals change nothing', () => {
  it('discards a forged signature, a replayed counter and an unknown supplier, with nothing answered', async () => {
    const r = await rig({ gsme: { commissioned: true, balanceGbp: 2, ...NO_GAS } });
    const spec = { ...registry.get('1.6', 'gsme')!.build({ mode: 'prepayment' }, { devices: { gsme: r.gsme.eui }, hub: r.hub.eui, now: r.clock.now(), parties: r.parties })[0]!, hub: r.hub.eui };
    const before = meterState(r);
    const expectSilence = async (bytes: Uint8Array, reason: string) => {
      await expect(r.run(r.headEnd.sendBytes(bytes, r.hub.eui, decodeFrame(bytes).header))).rejects.toBeInstanceOf(TimeoutError);
      expect(r.gsme.refusals.at(-1)?.reason).toBe(reason);
      expect(meterState(r)).toEqual(before);
    };
    const good = r.headEnd.buildCommand(spec);
    const f = decodeFrame(good.bytes);
    const forgedSignature = r.headEnd.security.sign(r.pki.roles.otherSupplier, f.signedData);
    const forged = encodeGeneralSigning({ header: f.header, payload: f.payload, signature: forgedSignature });
    await expectSilence(encodeCiphered(forged, SECURITY_HEADER, r.headEnd.security.computeMac(f.header, forged)!), 'bad-signature');

    const rogue = new HeadEnd({ bus: r.bus, clock: r.clock, keys: r.pki.headEndKeys(), parties: { acb: r.pki.roles.acb, supplier: r.pki.roles.otherSupplier }, address: 'rogue' });
    r.pki.addDevicePublicKeys(rogue.security.keys, r.gsme.eui);
    await expectSilence(rogue.buildCommand(spec).bytes, 'unknown-sender');

    const accepted = await r.run(r.headEnd.sendBytes(good.bytes, r.hub.eui, good.header));
    expect(accepted.response.signature).toBe('valid');
    expect(r.gsme.meter.paymentMode).toBe('prepayment');
    const afterAccepted = meterState(r);
    await expect(r.run(r.headEnd.sendBytes(good.bytes, r.hub.eui, good.header))).rejects.toBeInstanceOf(TimeoutError);
    expect(r.gsme.refusals.at(-1)?.reason).toBe('replayed-counter');
    expect(meterState(r)).toEqual(afterAccepted);
  });
});

describe('GPF device log: backup (GCS62) and restore on a replacement hub (8.12.2, GCS59)', () => {
  it('backs up its log to the DCC, and a new hub’s GPF restores it and serves the GSME', async () => {
    const r = await rig({ gsme: { commissioned: true } });
    const backup = r.headEnd.alerts.find((a) => a.frame.header.other.messageCode === 0x00b2)!;
    expect(backup.frame.header).toMatchObject({ originator: r.gpf.eui, recipient: r.parties.acb });
    expect(backup.mac).toBe('valid');
    const backedUp = decodeMessage(backup.bytes).payload?.fields as { deviceLogEntries: { deviceId: Eui; deviceType: { name: string } }[] };
    expect(backedUp.deviceLogEntries).toEqual([{ deviceId: r.gsme.eui, deviceType: { value: 0, name: 'GSME' } }]);
    expect(ours(r, backup)).toEqual(theirs('NA_GCS62', 'GCS62_NA_8071_ALERT_GBCS.HEX'));

    r.hub.powerOff();
    r.gsme.networkLost();
    const newHub = new CommsHub(r.env, '0012345678abcd12', { pki: r.pki, headEnd: 'headend' });
    const newGpf = new GasProxyFunction(r.env, '0012345678abcd13', { pki: r.pki });
    newGpf.attachTo(newHub);
    for (const eui of [newHub.eui, newGpf.eui]) r.pki.addDevicePublicKeys(r.keys, eui);
    await Promise.all([newHub.start(), newGpf.start()]);
    const replacement = { hub: newHub, gpf: newGpf };
    const ppmid = '0012345678abcd04';
    const entries = [...backedUp.deviceLogEntries.map((e) => ({ deviceId: e.deviceId, deviceType: e.deviceType.name })), { deviceId: ppmid, deviceType: 'PPMID' }];
    const restore = await r.request('8.12.2', 'gpf', { entries }, replacement);
    expect(restore.outcome.success).toBe(true);
    expect(restore.result.response.frame.header).toMatchObject({ originator: newGpf.eui, recipient: r.parties.acb });
    expect(newGpf.gsmeEui).toBe(r.gsme.eui);
    expect(shape(restore.decoded, { [newGpf.eui]: 'gpf', [r.parties.acb]: 'acb' })).toEqual(theirs('8.12.2_GCS59', 'GCS59_8.12.2_SUCCESS_RESPONSE_GBCS.HEX'));
    const again = await r.request('8.12.2', 'gpf', { entries: [{ deviceId: r.gsme.eui, deviceType: 'PPMID' }] }, replacement);
    expect(again.outcome).toMatchObject({ success: false, error: 'incompatibleWithExistingEntry' });

    newHub.addToDeviceLog(r.gsme.eui, 'GSME', r.gsme.installCode);
    await r.run(r.gsme.join(newHub.eui));
    r.gsme.pairWithGpf(newGpf.eui);
    const read = await r.request('11.2', 'gsme', {}, replacement);
    expect(read.outcome.success).toBe(true);
  });

  it('records what it cannot do: HAN frames from a device not in its log, commands left uncollected', async () => {
    const r = await rig({ gsme: { commissioned: true } });
    r.gpf.removeFromDeviceLog(r.gsme.eui);
    await r.clock.advance(FIRST_WAKE);
    expect(r.gpf.incidents.map((i) => i.what)).toContain('unknown-han-sender');
    expect(r.gpf.mirror.updatedAt).toBeUndefined();

    r.gpf.addToDeviceLog({ deviceId: r.gsme.eui, deviceType: 'GSME' });
    r.gsme.powerOff();
    await expect(r.request('11.2', 'gsme')).rejects.toBeInstanceOf(TimeoutError);
    expect(r.gpf.waitingForGsme).toBe(1);
    await r.clock.advance(25 * HOUR);
    r.gsme.powerOn();
    await r.clock.advance(2 * MINUTE);
    expect(r.gpf.waitingForGsme).toBe(0);
    expect(r.gpf.incidents.at(-1)).toMatchObject({ what: 'expired' });
    expect(r.gsme.refusals).toEqual([]);
  });
});

describe('HAN devices and the gas meter', () => {
  it('an IHD joined with the GPF reads gas consumption and credit from its mirror', async () => {
    const r = await rig({ gsme: { commissioned: true, paymentMode: 'prepayment', balanceGbp: 12, consumption: { m3PerHour: 0.4, variation: 0 } } });
    const ihd = new InHomeDisplay(r.env, r.pki.roles.ihd, { pki: r.pki, installCode: Uint8Array.of(4, 4, 4, 4), meters: { gas: r.gpf.eui }, pollIntervalMs: HOUR });
    await ihd.start();
    r.hub.addToDeviceLog(ihd.eui, 'IHD', ihd.installCode);
    r.gpf.addToDeviceLog({ deviceId: ihd.eui, deviceType: 'Type2' });
    await r.run(ihd.join(r.hub.eui));
    await r.clock.advance(FIRST_WAKE);
    const volumeAtReport = r.gsme.meter.volumeM3;
    const balanceAtReport = r.gsme.meter.balanceGbp;
    await r.clock.advance(MINUTE);
    const shown = await r.run(ihd.readNow());
    expect(shown.gas?.m3).toBeCloseTo(Math.floor(volumeAtReport * 1000) / 1000, 6);
    expect(shown.gas?.demand).toBeCloseTo(0.4, 6);
    expect(shown.gas?.credit).toMatchObject({ paymentMode: 'prepayment', emergencyCreditGbp: 10 });
    expect(shown.gas?.credit?.creditGbp).toBeCloseTo(balanceAtReport, 5);
    expect(r.gpf.meteringServer.served).toBe(2);
  });

  it('a PPMID top-up (PCS01) and a remote top-up share one UTRN counter cache', async () => {
    const r = await rig({ gsme: { commissioned: true, paymentMode: 'prepayment', balanceGbp: 1, ...NO_GAS } });
    const ppmid = new PrepaymentInterface(r.env, r.pki.roles.ppmid, { pki: r.pki, installCode: Uint8Array.of(5, 5, 5, 5), meters: { gas: r.gsme.eui }, pollIntervalMs: 24 * HOUR });
    await ppmid.start();
    r.hub.addToDeviceLog(ppmid.eui, 'PPMID', ppmid.installCode);
    r.gsme.pairWith(ppmid.eui, 'PPMID');
    await r.run(ppmid.join(r.hub.eui));
    await r.clock.advance(0);
    expect(ppmid.network).toBe('joined');
    const supplier = r.parties.supplier;
    const utrn = generateUtrn({
      supplierPrepaymentKey: r.keys.privateKey(supplier, 'pp-ka')!,
      devicePublicKey: r.keys.publicKey(r.gsme.eui, 'ka')!,
      originator: supplier,
      target: r.gsme.eui,
      counter: r.headEnd.nextCounter(supplier, true),
      value: 15,
      valueClass: 'pounds',
    });
    expect(await r.run(ppmid.enterUtrn(utrn))).toMatchObject({ status: 'accepted', useCase: 'PCS01', amountGbp: 15, creditRemainingGbp: 16 });
    expect(r.gsme.meter.balanceGbp).toBe(16);
    expect(await r.run(ppmid.enterUtrn(utrn))).toMatchObject({ status: 'rejected', reason: 'duplicate', creditRemainingGbp: 16 });
    expect(r.gsme.applyUtrn(utrn)).toMatchObject({ accepted: false, reason: 'reused-counter' });
    expect(r.gsme.meter.balanceGbp).toBe(16);
  });
});

describe('determinism', () => {
  it('two runs with the same seed send the same frames at the same times', async () => {
    const scenario = async () => {
      const r = await rig({ seed: 7, gsme: { commissioned: true, paymentMode: 'prepayment', balanceGbp: 3, firstWakeAfterMs: undefined } });
      await r.request('2.2', 'gsme', { amount: 4 });
      await r.request('1.6', 'gsme', { mode: 'credit', executeAt: { kind: 'after', ms: 2 * HOUR } });
      await r.clock.advance(3 * HOUR);
      await r.request('4.3', 'gpf');
      return { frames: r.frames, volume: r.gsme.meter.volumeM3, balance: r.gsme.meter.balanceGbp };
    };
    const [a, b] = [await scenario(), await scenario()];
    expect(a.frames.length).toBeGreaterThan(20);
    expect(b).toEqual(a);
    expect(a.volume).toBeGreaterThan(0);
  });
});

function readTopUpCode(commandBytes: Uint8Array): string {
  const command = decodeMessage(commandBytes).payload?.fields as { components: { zcl: { payload: { topUpCode: string } } }[] };
  return command.components[0]!.zcl.payload.topUpCode;
}
