import { normaliseEui, type Eui } from '../src/crypto/eui.ts';
import { cosemDateTime } from '../src/gbcs/payload/dlms/cosem-time.ts';
import { encodeGbzMessage, futureDatedAlert } from '../src/gbcs/payload/gbz/index.ts';
import type { GbcsSecurity } from '../src/gbcs/security.ts';
import { UtrnAcceptor } from '../src/gbcs/utrn.ts';
import type { TimerHandle } from '../src/time/clock.ts';
import type { Random } from '../src/time/random.ts';
import type { Envelope } from '../src/transport/envelope.ts';
import { ZclDecodeError } from '../src/zcl/errors.ts';
import { unwrapTunnel, wrapGbcsInTunnel } from '../src/zcl/tunnel.ts';
import type { DeviceEnvironment } from './core/device.ts';
import type { CommandContext, UseCaseReply } from './core/gbcs-device.ts';
import { HanDevice, type HanDeviceOptions } from './core/han-device.ts';
import { TUNNELING_CLUSTER, ZCL_CLUSTER_META } from './core/metering-server.ts';
import type { DeviceTypeName } from './gas/gpf-device-log.ts';
import { gsmeAttributesByCluster } from './gas/gsme-attributes.ts';
import {
  GSME_MESSAGE_CODE,
  GSME_USE_CASES,
  notCommissionedReply,
  RESPONSES_WITH_DATE_TIME,
  type GsmeDefect,
  type GsmeHost,
  type PendingModeChange,
  type TopUpOutcome,
} from './gas/gsme-use-cases.ts';
import { GasMeterModel, type PaymentMode } from './gas/meter-model.ts';
import { encodeMirrorReport } from './gas/mirror.ts';
import { decodeSleepyTunnel, encodeSleepyTunnel, SleepyTunnelError } from './gas/sleepy-tunnel.ts';
import { wholeSeconds } from './gas/units.ts';
import { HanTopUpServer } from './han-topup.ts';
import { DeviceBindings, JOIN_RULES } from './core/join-use-cases.ts';
import { DEFAULT_OTA_WINDOW_MS, FIRMWARE_MESSAGE_CODE, meterFirmware, versionFromOctets, versionOctets, type MeterFirmware } from './firmware/wiring.ts';

export type { GsmeDefect } from './gas/gsme-use-cases.ts';

export const GSME_DEFAULTS = {
  model: 'HANLAB-GSME-1',
  firmwareVersion: Uint8Array.of(0x01, 0x00, 0x00, 0x00),
  /** How often the battery meter wakes its radio and polls the hub. */
  wakeIntervalMs: 30 * 60_000,
  /** How long it keeps its radio on for the GPF's answer before sleeping again. */
  listenWindowMs: 5_000,
  /** A meter that has restarted polls soon, rather than a full interval later. */
  wakeAfterPowerOnMs: 60_000,
  m3PerHour: 0.12,
  /** Demand each wake interval is the base flow times a factor drawn from 1 ± this. */
  flowVariation: 0.5,
  calorificValueMJPerM3: 39.5,
  unitRateGbpPerKwh: 0.06,
  emergencyCredit: { limitGbp: 10, thresholdGbp: 2 },
} as const;

export interface GasMeterOptions extends HanDeviceOptions {
  model?: string;
  /** Four octets (or a 32-bit number), reported by GCS38. */
  firmwareVersion?: Uint8Array | number;
  paymentMode?: PaymentMode;
  balanceGbp?: number;
  emergencyCredit?: { limitGbp: number; thresholdGbp: number };
  debtsGbp?: readonly [number, number, number];
  volumeM3?: number;
  commissioned?: boolean;
  mprn?: string;
  /** The GPF it polls (the hub's, once joined with it), and PPMIDs that may top it up: its device log at start. */
  gpf?: Eui;
  ppmids?: readonly Eui[];
  wakeIntervalMs?: number;
  /** First wake after start; a random phase within the wake interval otherwise, as meters are not in step. */
  firstWakeAfterMs?: number;
  listenWindowMs?: number;
  consumption?: { m3PerHour?: number; variation?: number };
  calorificValueMJPerM3?: number;
  unitRateGbpPerKwh?: number;
  utrnCacheCapacity?: number;
  defects?: readonly GsmeDefect[];
}

function firmwareBytes(v: Uint8Array | number): Uint8Array {
  if (v instanceof Uint8Array) return Uint8Array.from(v);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, v >>> 0);
  return out;
}

/**
 * A battery gas meter (GSME). Its radio sleeps; every wake interval it reports its registers to the GPF's mirror,
 * then asks the GPF for waiting commands (GET), runs each and sends back the response (PUT) until none remain.
 * Between wakes gas flows and, in prepayment, spends credit, down to shutting the valve. Future-dated payment
 * mode changes take effect on its own clock and raise the 0x8F66 alert. A PPMID's top-up (PCS01) is taken
 * whenever it arrives: real GSMEs receive it through the GPF's queue, which is not modelled. State survives
 * power cuts.
 */
export class GasMeter extends HanDevice implements GsmeHost {
  readonly kind = 'GSME';
  readonly model: string;
  readonly meter: GasMeterModel;
  /** Devices joined with the meter by CS03 (its GBCS device log). */
  readonly bindings = new DeviceBindings();
  readonly defects: ReadonlySet<GsmeDefect>;
  readonly wakeIntervalMs: number;
  readonly listenWindowMs: number;
  firmwareVersion: Uint8Array;
  mprn: string | undefined;
  /** The devices joined with this meter (CS03): its GPF, and PPMIDs. */
  readonly deviceLog = new Map<Eui, DeviceTypeName>();
  /** PCS01 from paired PPMIDs: shares the meter's UTRN counter cache, so a UTRN is spent once however it comes. */
  readonly topUps: HanTopUpServer;
  pendingModeChange: PendingModeChange | undefined;
  /** Alerts raised while the GPF could not be reached, sent at the next wake. */
  readonly outbox: Uint8Array[] = [];
  /** Held image, CS06 activation and the sleepy OTA client, served by the GPF (sim/firmware). */
  readonly firmware: MeterFirmware;
  private commissionedFlag: boolean;
  private clockCorrectionMs = 0;
  private readonly utrns: UtrnAcceptor;
  private readonly consumptionRandom: Random;
  private readonly flowVariation: number;
  private readonly firstWakeAfterMs: number;
  private running = false;
  private wakeTimer: TimerHandle | undefined;
  private listenTimer: TimerHandle | undefined;
  private modeChangeTimer: TimerHandle | undefined;
  private session: { commandsRun: number } | undefined;
  private gpfTunnelSeq = 0;
  private reportSeq = 0;

  constructor(env: DeviceEnvironment, eui: Eui, options: GasMeterOptions) {
    super(env, eui, options);
    this.model = options.model ?? GSME_DEFAULTS.model;
    this.firmwareVersion = firmwareBytes(options.firmwareVersion ?? GSME_DEFAULTS.firmwareVersion);
    this.defects = new Set(options.defects ?? []);
    this.wakeIntervalMs = options.wakeIntervalMs ?? GSME_DEFAULTS.wakeIntervalMs;
    this.listenWindowMs = options.listenWindowMs ?? GSME_DEFAULTS.listenWindowMs;
    this.commissionedFlag = options.commissioned ?? false;
    this.mprn = options.mprn;
    if (options.gpf !== undefined) this.pairWith(options.gpf, 'GPF');
    for (const ppmid of options.ppmids ?? []) this.pairWith(ppmid, 'PPMID');
    this.flowVariation = options.consumption?.variation ?? GSME_DEFAULTS.flowVariation;
    this.consumptionRandom = this.random.fork('consumption');
    this.firstWakeAfterMs = options.firstWakeAfterMs ?? this.random.fork('wake-phase').int(1, this.wakeIntervalMs);
    this.meter = new GasMeterModel({
      now: () => this.clock.now(),
      paymentMode: options.paymentMode ?? 'credit',
      balanceGbp: options.balanceGbp ?? 0,
      emergencyCredit: options.emergencyCredit ?? GSME_DEFAULTS.emergencyCredit,
      ...(options.debtsGbp ? { debtsGbp: options.debtsGbp } : {}),
      ...(options.volumeM3 === undefined ? {} : { volumeM3: options.volumeM3 }),
      flowM3PerHour: options.consumption?.m3PerHour ?? GSME_DEFAULTS.m3PerHour,
      calorificValueMJPerM3: options.calorificValueMJPerM3 ?? GSME_DEFAULTS.calorificValueMJPerM3,
      unitRateGbpPerKwh: options.unitRateGbpPerKwh ?? GSME_DEFAULTS.unitRateGbpPerKwh,
    });
    const supplier = options.pki.roles.supplier;
    this.utrns = new UtrnAcceptor({
      devicePrivateKey: options.pki.privateKey(this.eui, 'ka'),
      supplierPrepaymentPublicKey: options.pki.publicKey(supplier, 'pp-ka'),
      originator: supplier,
      target: this.eui,
      ...(options.utrnCacheCapacity === undefined ? {} : { capacity: options.utrnCacheCapacity }),
      cache: this.guard.security.cache,
    });
    this.topUps = new HanTopUpServer({
      eui: this.eui,
      clock: this.clock,
      pki: options.pki,
      acceptor: this.utrns,
      account: { creditRemainingGbp: () => this.meter.balanceGbp, apply: (t) => this.meter.applyTopUp(t.amountGbp) },
      ppmids: () => [...this.deviceLog].filter(([, type]) => type === 'PPMID').map(([eui]) => eui),
      send: (to, frame, meta) => this.transmit(to, 'zcl', frame, meta),
      answers: () => this.network === 'joined',
    });
    for (const uc of GSME_USE_CASES) {
      this.useCase(uc.codes, (ctx) => this.dated(ctx, uc.handle(this, ctx)), { needsCommissioning: uc.needsCommissioning });
    }
    this.joinUseCases({
      bindings: this.bindings,
      rules: JOIN_RULES.GSME,
      now: () => this.localTime(),
      // CS03B binds the meter to its GPF; CS03C to a PPMID that may then top it up.
      onChange: () => {
        for (const b of this.bindings.entries) {
          if (b.deviceType === 'GPF') this.pairWithGpf(b.eui);
          else if (b.deviceType === 'PPMID') this.pairWith(b.eui, 'PPMID');
        }
      },
    });
    this.firmware = meterFirmware({
      clock: this.clock,
      eui: this.eui,
      guard: this.guard,
      model: this.model,
      receipt: 'gbz',
      running: { get: () => versionFromOctets(this.firmwareVersion), set: (v) => (this.firmwareVersion = versionOctets(v)) },
      now: () => this.localTime(),
      report: (e) => this.onHandlerError(e),
      send: (frame) => this.put(frame),
      server: () => this.gpf,
      online: () => this.reachable,
      transmit: (to, frame, meta) => this.transmit(to, 'zcl', frame, meta),
      sleepy: { windowMs: DEFAULT_OTA_WINDOW_MS },
    });
    this.useCase(FIRMWARE_MESSAGE_CODE.CS06, (ctx) => this.firmware.device.activate(ctx));
  }

  get commissioned(): boolean {
    return this.commissionedFlag;
  }

  get security(): GbcsSecurity {
    return this.guard.security;
  }

  /** Radio on: between a wake's GET and the end of that exchange. */
  get awake(): boolean {
    return this.session !== undefined;
  }

  get nextWakeAt(): number | undefined {
    return this.wakeTimer?.dueAt;
  }

  /** The UTRN counters accepted so far (persistent). */
  get acceptedUtrnCounters(): readonly number[] {
    return this.utrns.snapshot().accepted;
  }

  /** The GPF this meter polls. */
  get gpf(): Eui | undefined {
    for (const [eui, type] of this.deviceLog) if (type === 'GPF') return eui;
    return undefined;
  }

  /** Records a device joined with this meter (what CS03 does on the meter's side). */
  pairWith(eui: Eui, type: DeviceTypeName): void {
    this.deviceLog.set(normaliseEui(eui), type);
  }

  unpair(eui: Eui): boolean {
    return this.deviceLog.delete(normaliseEui(eui));
  }

  /** A replacement hub brings another GPF: the meter polls that one from now on. */
  pairWithGpf(gpf: Eui): void {
    for (const [eui, type] of this.deviceLog) if (type === 'GPF') this.deviceLog.delete(eui);
    this.pairWith(gpf, 'GPF');
  }

  hasDefect(defect: GsmeDefect): boolean {
    return this.defects.has(defect);
  }

  localTime(): number {
    return this.deviceTime() + this.clockCorrectionMs;
  }

  networkTime(): number {
    return this.clock.now();
  }

  synchroniseClock(): void {
    this.clockCorrectionMs = this.networkTime() - this.deviceTime();
    this.commissionedFlag = true;
  }

  /** A UTRN sent remotely (CS01b) or typed on the meter: checked against the UTRN counter cache PCS01 shares, credited once. */
  applyUtrn(utrn: string, originatorCounter?: bigint): TopUpOutcome {
    // A meter in credit mode takes no prepayment top-up; the UTRN is not spent.
    if (this.meter.paymentMode !== 'prepayment') return { accepted: false, reason: 'not-in-prepayment', detail: 'the meter is in credit mode' };
    const result = this.utrns.accept(utrn, originatorCounter === undefined ? {} : { originatorCounter });
    if (!result.ok) return { accepted: false, reason: result.reason, detail: result.detail };
    const valueGbp = result.valueClass === 'pounds' ? result.value : result.value / 100;
    this.meter.applyTopUp(valueGbp);
    return { accepted: true, valueGbp };
  }

  setMprn(mprn: string): void {
    this.mprn = mprn;
  }

  /** The consumer presses the meter's button: an armed valve opens. */
  pressButton(): boolean {
    return this.meter.pressButton();
  }

  scheduleModeChange(change: PendingModeChange): void {
    this.pendingModeChange = change;
    this.armModeChangeTimer();
  }

  cancelPendingModeChange(): void {
    this.pendingModeChange = undefined;
    this.clearTimer('modeChangeTimer');
  }

  override async start(): Promise<void> {
    await super.start();
    this.running = true;
    if (this.powered) this.armTimers(this.firstWakeAfterMs);
  }

  override async stop(): Promise<void> {
    this.running = false;
    this.disarmTimers();
    await super.stop();
  }

  protected override onPowerOff(): void {
    super.onPowerOff();
    this.disarmTimers();
    this.firmware.powerOff();
  }

  protected override onPowerOn(): void {
    super.onPowerOn();
    if (this.running) this.armTimers(GSME_DEFAULTS.wakeAfterPowerOnMs);
    this.firmware.powerOn();
  }

  protected override notCommissionedReply(ctx: CommandContext): UseCaseReply | undefined {
    const reply = notCommissionedReply(ctx);
    return reply && this.dated(ctx, reply);
  }

  protected override async handle(envelope: Envelope): Promise<void> {
    if (this.firmware.fromHan(envelope)) return;
    if (envelope.protocol === 'han') return super.handle(envelope);
    if (envelope.protocol !== 'zcl') return;
    if (envelope.from === this.gpf) return this.fromGpf(envelope);
    await this.topUps.handle(envelope);
  }

  private dated(ctx: CommandContext, reply: UseCaseReply): UseCaseReply {
    if (!RESPONSES_WITH_DATE_TIME.has(ctx.frame.header.other.messageCode)) return reply;
    return { ...reply, responseDateTime: cosemDateTime(wholeSeconds(this.localTime())) };
  }

  private get reachable(): boolean {
    return this.network === 'joined' && this.hub !== undefined && this.gpf !== undefined;
  }

  private async wake(): Promise<void> {
    this.wakeTimer = this.clock.setTimer(this.wakeIntervalMs, () => this.run(() => this.wake()));
    this.meter.setFlowMultiplier(1 + this.flowVariation * (2 * this.consumptionRandom.float() - 1));
    if (!this.reachable || this.session) return;
    this.firmware.onWake(this.listenWindowMs);
    this.session = { commandsRun: 0 };
    await this.endSessionOnFailure(async () => {
      await this.reportToMirror();
      const waiting = this.outbox.splice(0);
      for (const frame of waiting) await this.put(frame);
      await this.poll();
    });
  }

  /** A failed send must not leave the radio on for good: the meter sleeps and tries again next wake. */
  private async endSessionOnFailure(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (e) {
      this.clearTimer('listenTimer');
      this.session = undefined;
      throw e;
    }
  }

  private async poll(): Promise<void> {
    this.clearTimer('listenTimer');
    this.listenTimer = this.clock.setTimer(this.listenWindowMs, () => this.run(() => this.sleep()));
    await this.sendTunnel(encodeSleepyTunnel({ kind: 'get' }));
  }

  private async sleep(): Promise<void> {
    this.clearTimer('listenTimer');
    const session = this.session;
    this.session = undefined;
    if (session && session.commandsRun > 0) await this.reportToMirror();
  }

  private async fromGpf(envelope: Envelope): Promise<void> {
    if (!this.session) return; // radio off: nothing is heard
    let answer;
    try {
      answer = decodeSleepyTunnel(unwrapTunnel(envelope.payload).data);
    } catch (e) {
      if (!(e instanceof ZclDecodeError || e instanceof SleepyTunnelError)) throw e;
      this.refuse({ reason: 'malformed', detail: `from the GPF: ${e.message}` });
      return;
    }
    if (answer.kind !== 'get-response') return;
    const session = this.session;
    const message = answer.message;
    await this.endSessionOnFailure(async () => {
      if (message) {
        session.commandsRun++;
        for (const frame of await this.processCommand(message)) await this.put(frame);
      }
      if (answer.remaining > 0) await this.poll();
      else await this.sleep();
    });
  }


  /** A response or alert for the head-end, through the GPF; it waits in the outbox while the GPF cannot be reached. */
  private async put(frame: Uint8Array): Promise<void> {
    if (!this.reachable) {
      this.outbox.push(frame);
      return;
    }
    await this.sendTunnel(encodeSleepyTunnel({ kind: 'put', message: frame }));
  }

  private async sendTunnel(data: Uint8Array): Promise<void> {
    if (!this.gpf) return;
    this.gpfTunnelSeq = (this.gpfTunnelSeq + 1) & 0xff;
    const frame = wrapGbcsInTunnel(Number.parseInt(this.eui.slice(-4), 16), this.gpfTunnelSeq, data, 'clientToServer');
    await this.transmit(this.gpf, 'zcl', frame, { [ZCL_CLUSTER_META]: TUNNELING_CLUSTER });
  }

  private async reportToMirror(): Promise<void> {
    if (!this.gpf) return;
    for (const [clusterId, records] of gsmeAttributesByCluster(this)) {
      this.reportSeq = (this.reportSeq + 1) & 0xff;
      await this.transmit(this.gpf, 'zcl', encodeMirrorReport(clusterId, records, this.reportSeq), { [ZCL_CLUSTER_META]: clusterId });
    }
  }

  private async executePendingModeChange(): Promise<void> {
    this.modeChangeTimer = undefined;
    const change = this.pendingModeChange;
    if (!change) return;
    this.pendingModeChange = undefined;
    this.meter.changePaymentMode(change.paymentControlConfiguration, change.cutOffGbp, change.at);
    const alert = futureDatedAlert({
      timestamp: wholeSeconds(change.at),
      messageCode: change.messageCode,
      originatorCounter: change.counter,
      component: change.component,
    });
    await this.put(this.guard.alert(change.originator, GSME_MESSAGE_CODE.FUTURE_DATED_ALERT, encodeGbzMessage(alert), { signed: true }));
  }

  private armTimers(firstWakeAfterMs: number): void {
    this.disarmTimers();
    this.wakeTimer = this.clock.setTimer(firstWakeAfterMs, () => this.run(() => this.wake()));
    this.armModeChangeTimer();
  }

  private armModeChangeTimer(): void {
    this.clearTimer('modeChangeTimer');
    const change = this.pendingModeChange;
    if (!change || !this.running || !this.powered) return;
    this.modeChangeTimer = this.clock.setTimer(change.at - this.localTime(), () => this.run(() => this.executePendingModeChange()));
  }

  private disarmTimers(): void {
    for (const t of ['wakeTimer', 'listenTimer', 'modeChangeTimer'] as const) this.clearTimer(t);
    this.session = undefined;
  }

  private clearTimer(which: 'wakeTimer' | 'listenTimer' | 'modeChangeTimer'): void {
    const t = this[which];
    if (t) this.clock.clearTimer(t);
    this[which] = undefined;
  }

  private run(work: () => Promise<void>): void {
    void work().catch((e: unknown) => this.onHandlerError(e));
  }
}
