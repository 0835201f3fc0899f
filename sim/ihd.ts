import { normaliseEui, type Eui } from '../src/crypto/eui.ts';
import type { TimerHandle } from '../src/time/clock.ts';
import type { Envelope } from '../src/transport/envelope.ts';
import { decodeZcl } from '../src/zcl/codec.ts';
import { ZclDecodeError } from '../src/zcl/errors.ts';
import type { DeviceEnvironment } from './core/device.ts';
import { HanDevice, type HanDeviceOptions } from './core/han-device.ts';
import {
  encodeMeteringRead,
  encodePrepaymentRead,
  METERING_CLUSTER,
  MeterReadError,
  peekZclHeader,
  PREPAYMENT_CLUSTER,
  readConsumption,
  readCredit,
  ZCL_CLUSTER_META,
  ZclStatus,
  type ConsumptionReading,
  type CreditReading,
} from './core/metering-server.ts';
import type { Fuel } from './han-topup.ts';

export type { Fuel };

/** The meters a display is paired with: the ESME, and the gas source (the GPF's mirror of the GSME). */
export interface PairedMeters {
  electricity?: Eui;
  gas?: Eui;
}

export interface MeterDisplayOptions extends HanDeviceOptions {
  meters: PairedMeters;
  /** How often to read the meters once joined (virtual time). Default 10 s. */
  pollIntervalMs?: number;
  /** How long to wait for each answer. Default 2 s. */
  responseTimeoutMs?: number;
  /** Polls in a row with no answer from any meter before the network counts as lost. Default 3. */
  maxMissedPolls?: number;
  /** How often to try to rejoin once the network is lost. Default 30 s. */
  rejoinIntervalMs?: number;
  /** For showing gas in kWh: the calorific value, MJ/m³. Default 39.5. */
  calorificValueMJPerM3?: number;
}

/** One fuel as the screen shows it. */
export interface FuelDisplay {
  /** Consumption in kWh (gas: the m³ register through volume correction and calorific value). */
  kWh?: number;
  /** The gas volume register, m³. */
  m3?: number;
  /** kW for electricity, m³/h for gas. */
  demand?: number;
  credit?: CreditReading;
  /** Clock time of the last answer from this meter. */
  updatedAt?: number;
  /** The last poll got no answer from this meter. */
  stale: boolean;
}

export interface DisplayState {
  network: 'not-joined' | 'ok' | 'lost';
  electricity?: FuelDisplay;
  gas?: FuelDisplay;
  /** Clock time of the newest answer from any meter. */
  lastUpdate?: number;
  /** What the screen says in words. */
  message: string;
}

/** An answer the display could not use, or a request it could not send: kept, never thrown. */
export interface DisplayIncident {
  at: number;
  meter: string;
  what: 'malformed-reply' | 'unusable-reply' | 'send-failed';
  detail: string;
}

const GAS_VOLUME_CORRECTION = 1.02264;
const MJ_PER_KWH = 3.6;
const DEFAULT_RESPONSE_COMMAND = 0x0b;

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

const FUELS: readonly Fuel[] = ['electricity', 'gas'];

/**
 * A battery or mains HAN device with a screen that shows what the meters it is paired with report: joins the
 * hub, reads Metering and Prepayment from each meter directly with ZCL Read Attributes (periodically on the
 * virtual clock, and on demand), and knows when the network has gone (no meter answered for `maxMissedPolls`
 * polls): it then says so and tries to rejoin the hub until it is let back in.
 */
export abstract class MeterDisplayDevice extends HanDevice {
  readonly meters: PairedMeters;
  readonly incidents: DisplayIncident[] = [];
  readonly pollIntervalMs: number;
  readonly responseTimeoutMs: number;
  readonly maxMissedPolls: number;
  readonly rejoinIntervalMs: number;
  /** Polls in a row with no answer. */
  missedPolls = 0;
  /** Clock time the network was found lost; undefined while it is not. */
  lostAt: number | undefined;
  private readonly kWhPerM3: number;
  private readonly shown: Partial<Record<Fuel, FuelDisplay>> = {};
  private readonly pending = new Map<string, (frame: Uint8Array) => void>();
  private ticker: TimerHandle | undefined;
  private cycle: Promise<void> | undefined;
  private seq = 0;

  constructor(env: DeviceEnvironment, eui: Eui, options: MeterDisplayOptions) {
    super(env, eui, options);
    this.meters = {};
    for (const fuel of FUELS) {
      const meter = options.meters[fuel];
      if (meter !== undefined) this.meters[fuel] = normaliseEui(meter);
    }
    this.pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs ?? 10_000);
    this.responseTimeoutMs = positive('responseTimeoutMs', options.responseTimeoutMs ?? 2_000);
    this.maxMissedPolls = Math.ceil(positive('maxMissedPolls', options.maxMissedPolls ?? 3));
    this.rejoinIntervalMs = positive('rejoinIntervalMs', options.rejoinIntervalMs ?? 30_000);
    this.kWhPerM3 = (GAS_VOLUME_CORRECTION * positive('calorificValueMJPerM3', options.calorificValueMJPerM3 ?? 39.5)) / MJ_PER_KWH;
  }

  /** HAN-only devices have no commissioning step of their own: joining is all. */
  get commissioned(): boolean {
    return true;
  }

  get display(): DisplayState {
    const network = this.lostAt !== undefined ? 'lost' : this.network === 'joined' ? 'ok' : 'not-joined';
    const state: DisplayState = { network, message: '' };
    let lastUpdate: number | undefined;
    for (const fuel of FUELS) {
      const s = this.shown[fuel];
      if (!s) continue;
      state[fuel] = { ...s, ...(s.credit ? { credit: { ...s.credit } } : {}) };
      if (s.updatedAt !== undefined) lastUpdate = Math.max(lastUpdate ?? s.updatedAt, s.updatedAt);
    }
    if (lastUpdate !== undefined) state.lastUpdate = lastUpdate;
    state.message = this.describe(state);
    return state;
  }

  /** Reads every paired meter now; resolves (on the device's clock) with what the screen shows afterwards. */
  async readNow(): Promise<DisplayState> {
    await this.poll();
    return this.display;
  }

  override async stop(): Promise<void> {
    this.stopTicker();
    await super.stop();
  }

  protected override onPowerOff(): void {
    super.onPowerOff();
    this.stopTicker();
  }

  protected override onPowerOn(): void {
    super.onPowerOn();
    if (this.network === 'joined' || this.lostAt !== undefined) this.schedule(this.pollIntervalMs);
  }

  protected override async handle(envelope: Envelope): Promise<void> {
    if (envelope.protocol === 'zcl' && envelope.from !== this.hub && this.fuelOf(envelope.from)) return this.fromMeter(envelope);
    const before = this.network;
    await super.handle(envelope);
    if (before !== 'joined' && this.network === 'joined') this.joinedNetwork();
  }

  /** ZCL from a paired meter: answers to the reads. Subclasses claim their own frames first. */
  protected async fromMeter(envelope: Envelope): Promise<void> {
    const cluster = envelope.meta?.[ZCL_CLUSTER_META];
    const header = peekZclHeader(envelope.payload);
    if (!header) {
      this.incident(envelope.from, 'malformed-reply', `${envelope.payload.length}-byte frame has no ZCL header`);
      return;
    }
    if (!header.serverToClient) return; // a meter asking, not answering: a display serves nothing
    this.pending.get(`${envelope.from}/${String(cluster)}/${header.seq}`)?.(envelope.payload);
  }

  protected fuelOf(eui: string): Fuel | undefined {
    return FUELS.find((f) => this.meters[f] === eui);
  }

  /** Shows a balance the display learnt otherwise than by reading (a top-up's answer). */
  protected showCredit(fuel: Fuel, creditGbp: number): void {
    const s = this.shownFor(fuel);
    s.credit = { ...s.credit, creditGbp };
    s.updatedAt = this.clock.now();
    s.stale = false;
  }

  protected incident(meter: string, what: DisplayIncident['what'], detail: string): void {
    this.incidents.push({ at: this.clock.now(), meter, what, detail });
  }

  /** The next ZCL sequence number of this device. */
  protected nextSeq(): number {
    this.seq = (this.seq + 1) & 0xff;
    return this.seq;
  }

  protected describe(state: DisplayState): string {
    if (state.network === 'lost') return 'No network';
    if (state.network === 'not-joined') return 'Not connected';
    const parts: string[] = [];
    const e = state.electricity;
    const g = state.gas;
    if (e?.kWh !== undefined) parts.push(`Electricity ${e.kWh.toFixed(3)} kWh`);
    if (e?.credit) parts.push(`credit £${e.credit.creditGbp.toFixed(2)}`);
    if (g?.m3 !== undefined) parts.push(`Gas ${g.m3.toFixed(3)} m³`);
    if (g?.kWh !== undefined) parts.push(`${g.kWh.toFixed(1)} kWh`);
    if (g?.credit) parts.push(`credit £${g.credit.creditGbp.toFixed(2)}`);
    return parts.length > 0 ? parts.join(' · ') : 'Waiting for the meter';
  }

  private shownFor(fuel: Fuel): FuelDisplay {
    return (this.shown[fuel] ??= { stale: false });
  }

  private joinedNetwork(): void {
    this.lostAt = undefined;
    this.missedPolls = 0;
    this.schedule(0);
  }

  private loseNetwork(): void {
    this.lostAt = this.clock.now();
    this.networkLost();
    this.schedule(this.rejoinIntervalMs);
  }

  private stopTicker(): void {
    if (this.ticker) this.clock.clearTimer(this.ticker);
    this.ticker = undefined;
  }

  private schedule(delayMs: number): void {
    this.stopTicker();
    this.ticker = this.clock.setTimer(delayMs, () => {
      this.ticker = undefined;
      this.tick();
    });
  }

  private tick(): void {
    if (!this.powered) return;
    if (this.lostAt !== undefined) {
      this.schedule(this.rejoinIntervalMs);
      if (this.hub && this.network !== 'joined') this.rejoin(this.hub);
      return;
    }
    if (this.network !== 'joined') return;
    this.schedule(this.pollIntervalMs);
    this.poll().catch((e: unknown) => this.onHandlerError(e));
  }

  /** A join request to the hub; unanswered within the response timeout, the network is still lost. */
  private rejoin(hub: Eui): void {
    this.join(hub).catch((e: unknown) => this.incident(hub, 'send-failed', e instanceof Error ? e.message : String(e)));
    this.clock.setTimer(this.responseTimeoutMs, () => {
      if (this.network === 'joining' && this.lostAt !== undefined) this.network = 'lost';
    });
  }

  private poll(): Promise<void> {
    this.cycle ??= this.runCycle().finally(() => {
      this.cycle = undefined;
    });
    return this.cycle;
  }

  private async runCycle(): Promise<void> {
    if (!this.powered || this.network !== 'joined') return;
    const fuels = FUELS.filter((f) => this.meters[f] !== undefined);
    const answered = await Promise.all(fuels.map((f) => this.readMeter(f)));
    if (!this.powered || fuels.length === 0) return;
    if (answered.some(Boolean)) {
      this.missedPolls = 0;
      return;
    }
    this.missedPolls++;
    if (this.missedPolls >= this.maxMissedPolls && this.lostAt === undefined) this.loseNetwork();
  }

  /** Reads one meter's consumption and credit; true when it answered at all. */
  private async readMeter(fuel: Fuel): Promise<boolean> {
    const meter = this.meters[fuel]!;
    const [metering, prepayment] = await Promise.all([
      this.request(meter, METERING_CLUSTER, encodeMeteringRead),
      this.request(meter, PREPAYMENT_CLUSTER, encodePrepaymentRead),
    ]);
    const s = this.shownFor(fuel);
    s.stale = !metering && !prepayment;
    if (s.stale) return false;
    s.updatedAt = this.clock.now();
    if (metering) {
      const reading = this.decode(meter, METERING_CLUSTER, metering, readConsumption);
      if (reading === 'no-such-cluster') for (const k of ['kWh', 'm3', 'demand'] as const) delete s[k];
      else if (reading) this.showConsumption(s, reading);
    }
    if (prepayment) {
      const reading = this.decode(meter, PREPAYMENT_CLUSTER, prepayment, (f) => readCredit(f));
      if (reading === 'no-such-cluster') delete s.credit;
      else if (reading) s.credit = reading;
    }
    return true;
  }

  private showConsumption(s: FuelDisplay, r: ConsumptionReading): void {
    delete s.demand;
    if (r.demand !== undefined) s.demand = r.demand;
    if (r.unit === 'm3') {
      s.m3 = r.summation;
      s.kWh = r.summation * this.kWhPerM3;
    } else {
      delete s.m3;
      s.kWh = r.summation;
    }
  }

  /** Decodes an answer; a Default Response UNSUPPORTED_CLUSTER says the meter has no such cluster (nothing to show). */
  private decode<T>(meter: string, cluster: number, frame: Uint8Array, read: (frame: Uint8Array) => T): T | 'no-such-cluster' | undefined {
    try {
      if (peekZclHeader(frame)?.commandId === DEFAULT_RESPONSE_COMMAND) {
        const status = (decodeZcl(frame, cluster).payload as { statusCode?: number }).statusCode;
        if (status === ZclStatus.UNSUPPORTED_CLUSTER) return 'no-such-cluster';
        this.incident(meter, 'unusable-reply', `Default Response status 0x${(status ?? 0).toString(16)} on cluster 0x${cluster.toString(16)}`);
        return undefined;
      }
      return read(frame);
    } catch (e) {
      if (e instanceof ZclDecodeError) this.incident(meter, 'malformed-reply', e.message);
      else if (e instanceof MeterReadError) this.incident(meter, 'unusable-reply', e.message);
      else throw e;
      return undefined;
    }
  }

  /** Sends one read and waits for its answer, or undefined after the response timeout. */
  private request(meter: Eui, cluster: number, encode: (seq: number) => Uint8Array): Promise<Uint8Array | undefined> {
    const seq = this.nextSeq();
    const key = `${meter}/${cluster}/${seq}`;
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(this.responseTimeoutMs, () => {
        this.pending.delete(key);
        resolve(undefined);
      });
      this.pending.set(key, (frame) => {
        this.clock.clearTimer(timer);
        this.pending.delete(key);
        resolve(frame);
      });
      this.transmit(meter, 'zcl', encode(seq), { [ZCL_CLUSTER_META]: cluster }).catch((e: unknown) =>
        this.incident(meter, 'send-failed', e instanceof Error ? e.message : String(e)),
      );
    });
  }
}

/**
 * The In-Home Display: shows electricity and gas consumption and credit from the meters it is paired with. GBCS
 * gives an IHD no use cases (the catalogue targets none at it): any GBCS that reaches it is refused and recorded.
 */
export class InHomeDisplay extends MeterDisplayDevice {
  readonly kind = 'IHD';
}
