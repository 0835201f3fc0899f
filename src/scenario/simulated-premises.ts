import { createHash } from 'node:crypto';
import { toHex } from '../bytes.ts';
import type { Eui } from '../crypto/eui.ts';
import { generateUtrn } from '../gbcs/utrn.ts';
import { FirmwareHeadEnd } from '../headend/requests/firmware.ts';
import { defaultServiceRequests } from '../headend/requests/index.ts';
import type { RequestContext, RequestParams } from '../headend/requests/types.ts';
import type { FrameDirection } from '../evidence/events.ts';
import type { Value } from './expression.ts';
import type { ConfigurationSet } from './matrix.ts';
import { InfrastructureError, type MadeUtrn, type Premises, type PremisesFrame } from './premises.ts';
import { convert, type Quantity } from './quantity.ts';
import type { Rig } from './rig.ts';
import type { Role, RoleSettings } from './roles.ts';
import type { PremisesFactory } from './attempt.ts';
import type { HanAction } from './types.ts';
import { driveUntilSettled } from '../time/drive.ts';
import { Random } from '../time/random.ts';
import { VirtualClock } from '../time/virtual-clock.ts';
import type { Bus } from '../transport/bus.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../transport/embedded-broker.ts';
import { InMemoryBus } from '../transport/in-memory-bus.ts';
import { MqttBus } from '../transport/mqtt-bus.ts';
import { CommsHub } from '../../sim/chf.ts';
import { powerOffHub } from '../../sim/chf/replacement.ts';
import type { HanDevice } from '../../sim/core/han-device.ts';
import { SimPki } from '../../sim/core/pki.ts';
import { ElectricityMeter } from '../../sim/esme.ts';
import type { EsmeDefect } from '../../sim/esme/options.ts';
import type { GsmeDefect } from '../../sim/gas/gsme-use-cases.ts';
import { GasProxyFunction } from '../../sim/gpf.ts';
import { GasMeter } from '../../sim/gsme.ts';
import { InHomeDisplay } from '../../sim/ihd.ts';
import { PrepaymentInterface } from '../../sim/ppmid.ts';
import { FrameDescriber } from './frame-meaning.ts';
import type { DecodedMessage } from '../gbcs/message.ts';
import { DEFAULT_FIRMWARE_CATALOGUE } from '../../sim/firmware/models.ts';
import { firmwareDefaults, hubFirmwareState, meterFirmwareState, registerFirmwareTargets } from '../../sim/firmware/premises-view.ts';

export const HEAD_END_ADDRESS = 'headend';
/** Real time after which a frame sent through a broker and not seen back counts as lost. */
const LOST_IN_BROKER_MS = 1000;
/** GSME commands wait at the GPF for the meter's next wake: the head-end waits longer than one wake interval. */
const RESPONSE_TIMEOUT_MS = 40 * 60_000;

/** A firmware version as a configuration set or scenario writes it ("1.4.0", "0x00010400") as the 32-bit value. */
export function firmwareNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^0x[0-9a-f]{1,8}$/i.test(text)) return Number.parseInt(text.slice(2), 16);
  const parts = text.split('.').map((p) => Number.parseInt(p, 10));
  if (parts.length > 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new InfrastructureError(`firmware version ${JSON.stringify(text)} is not a.b.c(.d) or 0x…`);
  while (parts.length < 4) parts.push(0);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

const gbp = (value: number): Quantity => ({ value: Math.round(value * 100) / 100, unit: 'GBP' });

/** A device's install code: derived from the seed and its role, so a seeded run is reproducible. */
function installCodeFor(seed: string, role: Role): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`hanlab/install-code/${seed}/${role}`).digest().subarray(0, 16));
}

interface Devices {
  chf: CommsHub;
  gpf?: GasProxyFunction;
  esme?: ElectricityMeter;
  gsme?: GasMeter;
  ppmid?: PrepaymentInterface;
  ihd?: InHomeDisplay;
}

export interface SimulatedPremisesOptions {
  roles: Readonly<Partial<Record<Role, RoleSettings | null>>>;
  set?: ConfigurationSet;
  seed: string;
  /** The bus to use; an in-memory bus on the premises' clock by default. */
  bus?: (clock: VirtualClock) => Promise<Bus>;
  /** True while MQTT frames are in flight (so virtual time waits for them). */
  isQuiet?: () => boolean;
}

/**
 * An installation made of simulated devices on one bus and one virtual clock, with a head-end playing DCC and
 * supplier. Roles a scenario marks `commissioned` start installed: in the hub's device log, joined, commissioned
 * and paired; the others start factory-fresh and the scenario installs them.
 */
export class SimulatedPremises implements Premises {
  readonly virtual = true;
  readonly requests = defaultServiceRequests();
  readonly roles: Partial<Record<Role, Eui>> = {};
  private readonly frameListeners = new Set<(f: PremisesFrame) => void>();
  private readonly describer: FrameDescriber;
  private readonly installCodes: Partial<Record<Role, Uint8Array>> = {};
  private readonly backups: { chf?: RequestParams; gpf?: RequestParams } = {};
  private stopBusWatch: (() => void) | undefined;
  /** Frames on their way through a broker to an endpoint here: envelope id → when sent (real ms). */
  private readonly inFlight = new Map<string, number>();

  private constructor(
    readonly clock: VirtualClock,
    readonly headEnd: FirmwareHeadEnd,
    private readonly bus: Bus,
    private readonly pki: SimPki,
    private readonly env: { clock: VirtualClock; random: Random; bus: Bus },
    private readonly devices: Devices,
    private readonly seed: string,
    private readonly isQuietExternal: (() => boolean) | undefined,
  ) {
    this.describer = new FrameDescriber(headEnd.security);
  }

  static async create(o: SimulatedPremisesOptions): Promise<SimulatedPremises> {
    const clock = new VirtualClock();
    const random = Random.fromSeed(o.seed);
    const bus = o.bus ? await o.bus(clock) : new InMemoryBus({ clock });
    const env = { clock, random, bus };
    const pki = new SimPki(1);
    const roles = o.roles;
    const identity = (role: Role) => ({ ...(o.set?.roles[role] ?? {}), ...Object.fromEntries(Object.entries(roles[role] ?? {}).filter(([, v]) => v !== undefined)) }) as RoleSettings;
    const defects = (role: Role) => (o.set?.defects[role] ?? []) as string[];
    const code = (role: Role) => installCodeFor(o.seed, role);
    const wantsGas = roles.gsme !== undefined || roles.gpf !== undefined;
    const hubFirmware = firmwareNumber(identity('chf').firmware);
    const chf = new CommsHub(env, pki.roles.chf, { pki, headEnd: HEAD_END_ADDRESS, firmwareCatalogue: DEFAULT_FIRMWARE_CATALOGUE, ...(hubFirmware !== undefined ? { firmwareVersion: hubFirmware } : {}) });
    const devices: Devices = { chf };
    if (wantsGas) {
      devices.gpf = new GasProxyFunction(env, pki.roles.gpf, { pki });
      devices.gpf.attachTo(chf);
    }
    const meterSettings = (role: 'esme' | 'gsme') => {
      const s = identity(role);
      const fw = firmwareNumber(s.firmware);
      return { s, fw, balance: s.balance ? convert(s.balance, 'GBP').value : undefined };
    };
    if (roles.esme !== undefined) {
      const { s, fw, balance } = meterSettings('esme');
      devices.esme = new ElectricityMeter(env, pki.roles.esme, {
        pki,
        installCode: code('esme'),
        ...(s.model ? { model: s.model } : {}),
        ...(fw !== undefined ? { firmwareVersion: fw } : {}),
        ...(s.paymentMode ? { paymentMode: s.paymentMode } : {}),
        ...(balance !== undefined ? { balance } : {}),
        commissioned: s.commissioned === true,
        defects: defects('esme') as EsmeDefect[],
      });
    }
    if (roles.gsme !== undefined) {
      const { s, fw, balance } = meterSettings('gsme');
      devices.gsme = new GasMeter(env, pki.roles.gsme, {
        pki,
        installCode: code('gsme'),
        gpf: pki.roles.gpf,
        ...(s.model ? { model: s.model } : {}),
        ...(fw !== undefined ? { firmwareVersion: fw } : {}),
        ...(s.paymentMode ? { paymentMode: s.paymentMode } : {}),
        ...(balance !== undefined ? { balanceGbp: balance } : {}),
        commissioned: s.commissioned === true,
        defects: defects('gsme') as GsmeDefect[],
      });
    }
    // The IHD reads gas from the GPF's copy (the GSME sleeps); the PPMID sends its top-ups (PCS01) to the GSME.
    const electricity = devices.esme ? { electricity: devices.esme.eui } : {};
    if (roles.ppmid !== undefined) devices.ppmid = new PrepaymentInterface(env, pki.roles.ppmid, { pki, installCode: code('ppmid'), meters: { ...electricity, ...(devices.gsme ? { gas: devices.gsme.eui } : {}) } });
    if (roles.ihd !== undefined) devices.ihd = new InHomeDisplay(env, pki.roles.ihd, { pki, installCode: code('ihd'), meters: { ...electricity, ...(devices.gsme ? { gas: devices.gpf?.eui ?? devices.gsme.eui } : {}) } });

    const keys = pki.headEndKeys();
    const all = Object.values(devices) as { eui: Eui }[];
    for (const d of all) pki.addDevicePublicKeys(keys, d.eui);
    registerFirmwareTargets(chf.firmware, devices);
    const headEnd = new FirmwareHeadEnd({
      bus,
      clock,
      keys,
      parties: { acb: pki.roles.acb, supplier: pki.roles.supplier, networkOperator: pki.roles.networkOperator, otherSupplier: pki.roles.otherSupplier },
      address: HEAD_END_ADDRESS,
      responseTimeoutMs: RESPONSE_TIMEOUT_MS,
    });
    const premises = new SimulatedPremises(clock, headEnd, bus, pki, env, devices, o.seed, o.isQuiet);
    for (const role of Object.keys(devices) as Role[]) {
      premises.roles[role] = (devices[role as keyof Devices] as { eui: Eui }).eui;
      premises.installCodes[role] = code(role);
    }
    premises.watchBus();
    await Promise.all([...all.map((d) => (d as unknown as { start(): Promise<void> }).start()), headEnd.start()]);
    await premises.install(roles, identity);
    return premises;
  }

  /** Roles marked commissioned start installed: in the device log, joined and paired, as after install. */
  private async install(roles: SimulatedPremisesOptions['roles'], identity: (role: Role) => RoleSettings): Promise<void> {
    const { chf, gpf, esme, gsme, ppmid, ihd } = this.devices;
    const installed = (role: Role) => roles[role] !== undefined && identity(role).commissioned === true;
    for (const [role, device, type] of [
      ['esme', esme, 'ESME'],
      ['gsme', gsme, 'GSME'],
      ['ppmid', ppmid, 'PPMID'],
      ['ihd', ihd, 'IHD'],
    ] as const) {
      if (!device || !installed(role)) continue;
      chf.addToDeviceLog(device.eui, type, device.installCode);
      await this.run(device.join(chf.eui));
    }
    if (gsme && gpf && installed('gsme')) gpf.addToDeviceLog({ deviceId: gsme.eui, deviceType: 'GSME' });
    if (ppmid && installed('ppmid')) {
      if (esme) esme.pairPpmid(ppmid.eui);
      if (gsme) gsme.pairWith(ppmid.eui, 'PPMID');
      if (gpf) gpf.addToDeviceLog({ deviceId: ppmid.eui, deviceType: 'PPMID' });
    }
    if (ihd && gpf && installed('ihd')) gpf.addToDeviceLog({ deviceId: ihd.eui, deviceType: 'Type2' });
    await this.clock.advance(0);
  }

  /**
   * True when no frame is on its way to an endpoint here. A frame the broker has not brought back within a second
   * is taken as lost (its endpoint went between send and delivery), so it never holds simulated time up for long.
   */
  private nothingInFlight(): boolean {
    if (this.inFlight.size === 0) return true;
    const stale = performance.now() - LOST_IN_BROKER_MS;
    for (const [id, sentAt] of this.inFlight) if (sentAt < stale) this.inFlight.delete(id);
    return this.inFlight.size === 0;
  }

  /** Transport errors nobody's call was waiting on (a broker lost between steps): kept, not printed as warnings. */
  readonly transportErrors: Error[] = [];

  private watchBus(): void {
    const stopErrors = this.bus.onError((e) => this.transportErrors.push(e));
    const stopFrames = this.bus.onFrame((e) => {
      if (e.kind !== 'sent') {
        this.inFlight.delete(e.envelope.id);
        return;
      }
      // Only a frame this bus will hand to one of its endpoints is waited for (not one to a hub that is gone).
      if (this.isQuietExternal && e.local !== false) this.inFlight.set(e.envelope.id, performance.now());
      if (this.frameListeners.size === 0 || (e.envelope.protocol !== 'gbcs' && e.envelope.protocol !== 'zcl')) return;
      const { from, to, protocol, payload, meta } = e.envelope;
      const direction: FrameDirection = from === HEAD_END_ADDRESS || (from === this.roles.chf && to !== HEAD_END_ADDRESS) ? 'downstream' : 'upstream';
      const frame: PremisesFrame = { at: e.at, direction, from, to, protocol: protocol === 'gbcs' ? 'gbcs' : 'zcl', hex: toHex(payload).toUpperCase(), ...this.describer.describe(protocol, payload, meta) };
      for (const l of this.frameListeners) l(frame);
    });
    this.stopBusWatch = () => {
      stopErrors();
      stopFrames();
    };
  }

  /** Shares the decoding the evidence made of the message as it crossed the network. */
  decodeMessage(bytes: Uint8Array): DecodedMessage {
    return this.describer.message(bytes);
  }

  requestContext(): RequestContext {
    return {
      devices: { ...this.roles },
      hub: this.devices.chf.eui,
      now: this.clock.now(),
      parties: this.headEnd.parties,
      keys: this.headEnd.security.keys,
      nextCounter: ({ topUp, sender } = {}) => this.headEnd.nextCounter(this.headEnd.senderEui(sender), topUp),
    };
  }

  /** What the DCC knows without being told: a device's install code (8.11), the last device log backups (8.12.x). */
  defaultParams(srv: string, params: RequestParams): RequestParams {
    if (srv === '8.11' && params.installCode === undefined && typeof params.device === 'string') {
      const code = this.installCodes[params.device as Role];
      return code ? { installCode: toHex(code) } : {};
    }
    if (srv === '2.2' && typeof params.utrn === 'string') {
      const made = this.utrnCounters.get(params.utrn.replace(/ /g, ''));
      return made === undefined ? {} : { counter: made.toString() };
    }
    if (srv === '8.12.1') return this.backups.chf ?? {};
    if (srv === '8.12.2') return this.backups.gpf ?? {};
    if (srv === '11.1' || srv === '11.3') return firmwareDefaults(srv, this.headEnd, { ...this.devices, chf: this.devices.chf.eui });
    return {};
  }

  state(role: Role): Readonly<Record<string, Value>> {
    const { chf, gpf, esme, gsme, ppmid, ihd } = this.devices;
    const network = (d: HanDevice) => d.network;
    switch (role) {
      case 'chf':
        return { firmwareVersion: chf.firmwareVersion.toString(16).padStart(8, '0'), panId: chf.panId, powered: chf.powered, deviceLogSize: chf.deviceLog.entries.length, ...hubFirmwareState(chf.ownFirmware, chf.firmware) };
      case 'gpf':
        return gpf ? { powered: gpf.powered } : {};
      case 'esme': {
        if (!esme) return {};
        const r = esme.readings();
        return {
          balance: gbp(r.balance),
          emergencyCredit: gbp(r.emergencyCredit.balance),
          paymentMode: r.paymentMode,
          supply: r.supply,
          importEnergy: { value: r.importKwh, unit: 'kWh' },
          commissioned: esme.commissioned,
          network: network(esme),
          firmwareVersion: esme.firmwareVersion.toString(16).padStart(8, '0'),
          mpan: esme.mpan,
          topUps: esme.topUps.filter((t) => t.accepted).length,
          ...meterFirmwareState(esme.firmware),
        };
      }
      case 'gsme': {
        if (!gsme) return {};
        const m = gsme.meter;
        return {
          balance: gbp(m.balanceGbp),
          paymentMode: m.paymentMode,
          supply: m.supply,
          volume: { value: m.volumeM3, unit: 'm3' },
          commissioned: gsme.commissioned,
          network: network(gsme),
          firmwareVersion: toHex(gsme.firmwareVersion),
          ...meterFirmwareState(gsme.firmware),
        };
      }
      case 'ppmid':
      case 'ihd': {
        const d = role === 'ppmid' ? ppmid : ihd;
        if (!d) return {};
        const s = d.display;
        const out: Record<string, Value> = { network: network(d), display: s.network, message: s.message };
        if (s.electricity?.kWh !== undefined) out.electricity = { value: s.electricity.kWh, unit: 'kWh' };
        if (s.electricity?.credit) out.electricityCredit = gbp(s.electricity.credit.creditGbp);
        if (s.gas?.m3 !== undefined) out.gas = { value: s.gas.m3, unit: 'm3' };
        if (s.gas?.credit) out.gasCredit = gbp(s.gas.credit.creditGbp);
        const credit = s.electricity?.credit ?? s.gas?.credit;
        if (credit) out.credit = gbp(credit.creditGbp);
        if (role === 'ppmid' && ppmid?.lastTopUp) out.lastTopUp = ppmid.lastTopUp.status;
        return out;
      }
    }
  }

  private device(role: Role): HanDevice | CommsHub | GasProxyFunction {
    const d = this.devices[role as keyof Devices];
    if (!d) throw new InfrastructureError(`no ${role} on these premises`);
    return d;
  }

  async han(action: HanAction, values: { utrn?: string }): Promise<Readonly<Record<string, Value>>> {
    const { chf, gsme, gpf, ppmid, ihd } = this.devices;
    switch (action.action) {
      case 'enter-utrn': {
        if (action.device !== 'ppmid' || !ppmid) throw new InfrastructureError(`UTRNs are typed on the PPMID here, not the ${action.device}`);
        const utrn = values.utrn ?? '';
        const madeFor = this.utrnTargets.get(utrn.replace(/ /g, ''));
        const outcome = await this.run(ppmid.enterUtrn(utrn, madeFor === undefined ? undefined : madeFor === 'esme' ? 'electricity' : 'gas'));
        return { outcome: outcome.status, ...('creditRemainingGbp' in outcome ? { credit: gbp(outcome.creditRemainingGbp) } : {}) };
      }
      case 'ihd-read': {
        const d = action.device === 'ppmid' ? ppmid : ihd;
        if (!d) throw new InfrastructureError(`no ${action.device} on these premises`);
        await this.run(d.readNow());
        return this.state(action.device);
      }
      case 'join': {
        const d = this.device(action.device);
        if (d === chf || d === gpf) throw new InfrastructureError('the hub forms the network; devices join it');
        await this.run((d as HanDevice).join(chf.eui));
        await this.wait(1000);
        if (d === gsme && gpf) gpf.addToDeviceLog({ deviceId: gsme.eui, deviceType: 'GSME' });
        return { network: (d as HanDevice).network };
      }
      case 'power-off': {
        const d = this.device(action.device);
        if (d === chf) powerOffHub(chf, this.clock, this.hanDevices());
        else d.powerOff();
        return {};
      }
      case 'power-on':
        this.device(action.device).powerOn();
        return {};
      case 'reboot':
        this.device(action.device).reboot();
        return {};
      case 'fault': {
        const d = this.device(action.device);
        const f = action.fault;
        if (f.kind === 'clock-drift') d.faults.set({ clockDriftMs: f.drift });
        else if (f.kind === 'delay') d.faults.set({ delay: { ms: f.delay, rate: f.rate, direction: f.direction } });
        else d.faults.set({ [f.kind]: { rate: f.rate, direction: f.direction } });
        return {};
      }
      case 'fault-clear':
        this.device(action.device).faults.clear(action.kind === 'clock-drift' ? 'clockDriftMs' : action.kind);
        return {};
      case 'replace-hub':
        return this.replaceHub(action.firmware);
    }
  }

  /**
   * The hub fails: the DCC keeps its last device log backups (as its regular reads and the GCS62 alerts give it),
   * the old hub goes dark, and a new one (new EUI, same PAN) takes its place, empty until 8.12.1/8.12.2 restore it.
   */
  private async replaceHub(firmware: string | undefined): Promise<Record<string, Value>> {
    const old = this.devices.chf;
    const backup = old.deviceLog.backup();
    this.backups.chf = {
      extendedPanId: backup.extendedPanId,
      devices: backup.devices.map((d) => ({ deviceId: d.eui, hashedTcLinkKey: toHex(d.hashedTcLinkKey) })),
    };
    const oldGpf = this.devices.gpf;
    if (oldGpf) this.backups.gpf = { entries: oldGpf.deviceLog.entries.map((e) => ({ deviceId: e.deviceId, deviceType: e.deviceType })) };
    powerOffHub(old, this.clock, this.hanDevices());
    oldGpf?.powerOff();
    await old.stop();
    await oldGpf?.stop();
    this.replacements += 1;
    const eui = this.replacements === 1 ? this.pki.roles.spareChf : replacementEui(this.pki.roles.spareChf, this.replacements);
    const fw = firmwareNumber(firmware);
    const chf = new CommsHub(this.env, eui, { pki: this.pki, headEnd: HEAD_END_ADDRESS, firmwareCatalogue: DEFAULT_FIRMWARE_CATALOGUE, ...(fw !== undefined ? { firmwareVersion: fw } : {}) });
    registerFirmwareTargets(chf.firmware, this.devices);
    this.devices.chf = chf;
    this.pki.addDevicePublicKeys(this.headEnd.security.keys, eui);
    await chf.start();
    if (oldGpf) {
      const gpfEui = this.replacements === 1 ? this.pki.roles.spareGpf : replacementEui(this.pki.roles.spareGpf, this.replacements);
      const gpf = new GasProxyFunction(this.env, gpfEui, { pki: this.pki });
      gpf.attachTo(chf);
      this.devices.gpf = gpf;
      this.pki.addDevicePublicKeys(this.headEnd.security.keys, gpfEui);
      await gpf.start();
      this.roles.gpf = gpfEui;
      if (this.devices.gsme) this.devices.gsme.pairWithGpf(gpfEui);
    }
    this.roles.chf = eui;
    return { hub: eui };
  }

  private replacements = 0;
  /** Which meter each UTRN the supplier made is for: the consumer knows which fuel they are topping up. */
  private readonly utrnTargets = new Map<string, Role>();
  private readonly utrnCounters = new Map<string, bigint>();

  private hanDevices(): HanDevice[] {
    const { esme, gsme, ppmid, ihd } = this.devices;
    return [esme, gsme, ppmid, ihd].filter((d): d is NonNullable<typeof d> => d !== undefined);
  }

  makeUtrn(role: Role, amount: Quantity): MadeUtrn {
    const target = this.roles[role];
    if (!target || (role !== 'esme' && role !== 'gsme')) throw new InfrastructureError(`UTRNs are made for meters, not ${role}`);
    const keys = this.headEnd.security.keys;
    const supplier = this.headEnd.parties.supplier;
    const supplierPrepaymentKey = keys.privateKey(supplier, 'pp-ka');
    const devicePublicKey = keys.publicKey(target, 'ka');
    if (!supplierPrepaymentKey || !devicePublicKey) throw new InfrastructureError(`no prepayment key pair between ${supplier} and ${target}`);
    const pence = Math.round(convert(amount, 'p').value);
    const [value, valueClass] = pence <= 0x1fff ? [pence, 'pennies' as const] : [pence / 100, 'pounds' as const];
    if (!Number.isInteger(value) || value > 0x1fff) throw new InfrastructureError(`${amount.value} ${amount.unit} cannot be one UTRN`);
    const counter = this.headEnd.nextCounter(supplier, true);
    const utrn = generateUtrn({ supplierPrepaymentKey, devicePublicKey, originator: supplier, target, counter, value, valueClass });
    this.utrnTargets.set(utrn, role);
    this.utrnCounters.set(utrn, counter);
    return { utrn, counter, amount };
  }

  run<T>(work: Promise<T>): Promise<T> {
    const external = this.isQuietExternal;
    return driveUntilSettled(this.clock, work, external ? { isQuiet: () => this.nothingInFlight() && external() } : {});
  }

  async wait(ms: number): Promise<void> {
    await this.run(this.clock.sleep(ms));
  }

  onFrame(listener: (frame: PremisesFrame) => void): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.stopBusWatch?.();
    for (const d of [...this.hanDevices(), this.devices.gpf, this.devices.chf]) if (d) await d.stop().catch(() => undefined);
    await this.headEnd.stop().catch(() => undefined);
    await this.bus.close();
  }
}

/** A replacement hub's identity: the old one's with the generation in the last byte. */
function replacementEui(original: Eui, generation: number): Eui {
  const last = (Number.parseInt(original.slice(-2), 16) + 0x10 * generation) & 0xff;
  return `${original.slice(0, 14)}${last.toString(16).padStart(2, '0')}`;
}

export interface RigPremises {
  factory: PremisesFactory;
  /**
   * The rig as other threads reach the same premises: its bus resolved to the broker this call started (an
   * embedded broker's URL), so that premisesFactoryFor(rig) in a worker thread joins it.
   */
  shared: Rig;
  close(): Promise<void>;
}

export interface RigPremisesOptions {
  seed: number | string;
  /** Tells apart the MQTT namespaces of premises made by several threads on one broker. */
  namespace?: string;
}

/** Refuses a rig that binds real devices: this build drives simulated roles only. */
function simulatedRolesOnly(rig: Rig): void {
  const real = Object.entries(rig.roles).filter(([, b]) => b.kind !== 'simulated');
  if (real.length) {
    throw new InfrastructureError(`rig ${rig.id} binds ${real.map(([r]) => r).join(', ')} to real devices; this build runs simulated roles only (see docs/rigs.md)`);
  }
}

/** What a rig file binds, as a premises factory for the runner: starts the embedded broker when the rig has one. */
export async function premisesForRig(rig: Rig, options: RigPremisesOptions): Promise<RigPremises> {
  simulatedRolesOnly(rig);
  const broker: EmbeddedBroker | undefined = rig.bus.kind === 'embedded-mqtt' ? await startEmbeddedBroker({ port: 0 }) : undefined;
  const shared: Rig = broker ? { ...rig, bus: { kind: 'mqtt', mqtt: { url: broker.url } } } : rig;
  return {
    factory: premisesFactoryFor(shared, options),
    shared,
    close: async () => {
      await broker?.close();
    },
  };
}

/** A premises factory on a rig whose bus is already there (in memory, or a broker that is running). */
export function premisesFactoryFor(rig: Rig, options: RigPremisesOptions): PremisesFactory {
  simulatedRolesOnly(rig);
  if (rig.bus.kind === 'embedded-mqtt') throw new InfrastructureError(`rig ${rig.id}: start its embedded broker first (premisesForRig)`);
  const mqtt = rig.bus.kind === 'mqtt' ? rig.bus.mqtt : undefined;
  const busFor = (runId: string): SimulatedPremisesOptions['bus'] =>
    mqtt && (async (clock) => MqttBus.connect({ url: mqtt.url, runId, clock, ...(mqtt.username ? { username: mqtt.username } : {}), ...(mqtt.password ? { password: mqtt.password } : {}), ackTimeoutMs: 5000 }));
  let n = 0;
  return async (scenario, set, seed) => {
    const runId = `${options.namespace ?? ''}s${++n}-${scenario.id}`.replace(/[^A-Za-z0-9._:~-]/g, '-');
    const bus = busFor(runId);
    return SimulatedPremises.create({ roles: scenario.roles, ...(set ? { set } : {}), seed: `${options.seed}/${seed}`, ...(bus ? { bus, isQuiet: () => true } : {}) });
  };
}
