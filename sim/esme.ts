import { fromHex, toHex } from '../src/bytes.ts';
import { normaliseEui, type Eui } from '../src/crypto/eui.ts';
import { publicKeyFromRaw, type PublicKey } from '../src/crypto/keys.ts';
import type { KeyUsage } from '../src/crypto/keystore.ts';
import { GbcsDecodeError } from '../src/gbcs/errors.ts';
import { decodeFrame, type DecodedFrame } from '../src/gbcs/frame.ts';
import { CANCELLATION_DATE_TIME } from '../src/gbcs/payload/asn1/gbcs-types.ts';
import { buildUpdateSecurityCredentialsAlert, buildUpdateSecurityCredentialsResponse } from '../src/gbcs/payload/asn1/security-credentials.ts';
import type { AccessRequest, AccessResponse } from '../src/gbcs/payload/dlms/apdu.ts';
import { respondTo } from '../src/gbcs/payload/dlms/builders.ts';
import { cosemDateTime } from '../src/gbcs/payload/dlms/cosem-time.ts';
import { RESULT } from '../src/gbcs/payload/dlms/results.ts';
import { dateTimeString, unsigned } from '../src/gbcs/payload/dlms/values.ts';
import type { UtrnAcceptance } from '../src/gbcs/utrn.ts';
import type { TimerHandle } from '../src/time/clock.ts';
import type { Envelope } from '../src/transport/envelope.ts';
import type { Random } from '../src/time/random.ts';
import type { DeviceEnvironment } from './core/device.ts';
import type { CommandContext, UseCaseReply } from './core/gbcs-device.ts';
import { HanDevice } from './core/han-device.ts';
import { MeteringServer } from './core/metering-server.ts';
import type { SimPki } from './core/pki.ts';
import { HanTopUpServer, type AppliedTopUp } from './han-topup.ts';
import { activateEmergencyCredit, enableArmedSupply, setPaymentMode, topUp, updateSupply, type PaymentMode, type SupplyState } from './esme/account.ts';
import { appendEntry, billingEntry, type BillingLogEntry } from './esme/billing-log.ts';
import {
  allReplaced,
  CredentialsCommandError,
  CS02B_SUPPLIER_BY_SUPPLIER,
  evaluateCredentialsCommand,
  FUTURE_DATED_CREDENTIALS_ALERT,
  readCredentialsCommand,
  storeCell,
  type AnchorCell,
  type CredentialsCommand,
  type CredentialsResult,
  type SupplierCells,
} from './esme/credentials.ts';
import { apduBytes, breakOnError, decodeAccessRequest, failAll, isRequestFor, readDateTime, type Target } from './esme/dlms.ts';
import { dueExecutions, executedAlertPayload, FUTURE_DATED_ALERT_MESSAGE_CODE, type PendingAction, type PendingExecution } from './esme/future-dated.ts';
import { accrue, drawLoad, type LoadModel } from './esme/metrology.ts';
import { hanReadings, MeterUtrnAcceptor } from './esme/han.ts';
import { readPaymentModeCommand, type Activation } from './esme/payment-mode.ts';
import { readBillingDataLog, readFirmwareVersion, readMeterBalance, readPaymentMode, readPrepaymentRegisters } from './esme/reads.ts';
import { SMKI } from './esme/smki.ts';
import { ESME_MESSAGE_CODES, type ElectricityMeterOptions, type EsmeDefect, type EsmeReadings, type TopUpRecord, type TopUpSource } from './esme/options.ts';
import { checkSnapshot, initialEsmeState, readingsOf, SNAPSHOT_FORMAT, type EsmeSnapshot, type EsmeState } from './esme/state.ts';
import { CURRENCY_UNITS_PER_PENNY, CURRENCY_UNITS_PER_POUND } from './esme/tariff.ts';
import { DeviceBindings, JOIN_RULES } from './core/join-use-cases.ts';
import { FIRMWARE_MESSAGE_CODE, meterFirmware, type MeterFirmware } from './firmware/wiring.ts';

export { ESME_DEFECTS, ESME_MESSAGE_CODES, type ElectricityMeterOptions, type EsmeDefect, type EsmeReadings, type TopUpRecord, type TopUpSource } from './esme/options.ts';
export type { EsmeSnapshot } from './esme/state.ts';

/** The use cases whose RTDS responses carry the meter's date-time in the grouping header. */
const DATED_RESPONSES = new Set<number>([ESME_MESSAGE_CODES.CS01a, ESME_MESSAGE_CODES.ECS02, ESME_MESSAGE_CODES.ECS03, ESME_MESSAGE_CODES.ECS19, ESME_MESSAGE_CODES.CS02b]);

const pounds = (units: number) => units / CURRENCY_UNITS_PER_POUND;

const CLOCK = '0-0:1.0.0.255';
const CLOCK_ITEMS: Target[] = [
  { service: 'set', classId: 8, obis: CLOCK, id: 9 },
  { service: 'action', classId: 8, obis: CLOCK, id: 5 },
  { service: 'action', classId: 8, obis: CLOCK, id: 4 },
  { service: 'get', classId: 8, obis: CLOCK, id: 2 },
  { service: 'get', classId: 8, obis: CLOCK, id: 4 },
];
const TOKEN_GATEWAY: Target = { service: 'action', classId: 115, obis: '0-0:19.40.0.255', id: 1 };
const EMERGENCY_CREDIT: Target = { service: 'action', classId: 112, obis: '0-0:19.10.1.255', id: 3 };
const IMPORT_MPAN: Target = { service: 'set', classId: 1, obis: '0-0:94.44.34.11', id: 2 };
/** One MPAN, or the two of a twin element meter. */
const MPAN_PATTERN = /^(\d{13}){1,2}$/;

/**
 * A SMETS2 electricity meter (ESME) on the HAN. It meters a load over virtual time into its registers and, in
 * prepayment mode, takes the cost from its credit (see esme/account.ts); it answers the GBCS use cases of the
 * business scenarios as the RTDS shows them, keeps future-dated changes until their time and then alerts, and
 * keeps its state across power cuts (`snapshot`/`restore` carry it between meter objects).
 *
 * Before commissioning (ECS70), the money and mode use cases (CS01a, ECS02, ECS03, ECS09) are refused with the
 * use case's own error response — every item `temporary-failure`, no data — rather than silence: GBCS gives no
 * alert for this case, and an answered failure (the shape of the RTDS ERROR responses) lets the DCC report the
 * request as failed instead of timing out. Reads, MPAN, firmware version and credentials work before it.
 */
export class ElectricityMeter extends HanDevice {
  readonly kind = 'ESME';
  readonly model: string;
  readonly defects: ReadonlySet<EsmeDefect>;
  /** Every UTRN presented, accepted or not (volatile: the record of this run, not meter memory). */
  readonly topUps: TopUpRecord[] = [];
  /** Devices joined with the meter by CS03 (its GBCS device log). */
  readonly bindings = new DeviceBindings();
  /** Answers IHD and PPMID Read Attributes on the Metering and Prepayment clusters. */
  /** Held image, CS06 activation and the OTA client (sim/firmware). */
  readonly firmware: MeterFirmware;
  private state: EsmeState;
  private cells: SupplierCells;
  private utrn!: MeterUtrnAcceptor;
  private han!: HanTopUpServer;
  private readonly pki: SimPki;
  private readonly smkiRoot: PublicKey;
  private readonly loadRandom: Random;
  private loadModel: LoadModel;
  private readonly tickMs: number;
  private load = 0;
  private meteringActive = false;
  private running = false;
  private lastAccrualAt = 0;
  private tickTimer: TimerHandle | undefined;
  private executionTimer: TimerHandle | undefined;

  constructor(env: DeviceEnvironment, eui: Eui, options: ElectricityMeterOptions) {
    super(env, eui, options);
    this.model = options.model ?? 'HANLAB-ESME-1';
    this.defects = new Set(options.defects ?? []);
    this.loadRandom = this.random.fork('load');
    this.loadModel = options.load ?? { meanWatts: 400 };
    this.tickMs = (options.tickMinutes ?? 1) * 60_000;
    if (!(this.tickMs > 0) || !Number.isFinite(this.tickMs)) throw new RangeError(`tickMinutes must be a positive number, got ${options.tickMinutes}`);
    this.smkiRoot = options.pki.publicKey(SMKI.root, 'ds');
    this.pki = options.pki;
    this.cells = this.initialCells();
    this.state = initialEsmeState(options, this.cells);
    this.useUtrnState();
    this.firmware = meterFirmware({
      clock: this.clock,
      eui: this.eui,
      guard: this.guard,
      model: this.model,
      receipt: 'dlms',
      running: { get: () => this.state.firmwareVersion, set: (v) => (this.state.firmwareVersion = v) },
      now: () => this.deviceTime(),
      report: (e) => this.onHandlerError(e),
      send: (frame) => this.sendToHub(frame),
      server: () => this.hub,
      online: () => this.network === 'joined',
      transmit: (to, frame, meta) => this.transmit(to, 'zcl', frame, meta),
    });
  }

  private metering: MeteringServer | undefined;

  /** Answers IHD and PPMID reads on the HAN (ZCL Metering and Prepayment); made when first asked. */
  get meteringServer(): MeteringServer {
    return (this.metering ??= new MeteringServer({
      clock: this.clock,
      format: { unit: 'kWh' },
      readings: () => hanReadings(this.readings(), this.state.mpan, this.clock.now()),
      send: (to, frame, meta) => this.transmit(to, 'zcl', frame, meta),
      answers: () => this.network === 'joined',
    }));
  }

  protected override defineUseCases(): void {
    this.registerUseCases();
    this.joinUseCases({
      bindings: this.bindings,
      rules: JOIN_RULES.ESME,
      now: () => this.deviceTime(),
      // A PPMID joined by CS03A1 may top the meter up over the HAN.
      onChange: () => {
        for (const b of this.bindings.entries) if (b.deviceType === 'PPMID') this.pairPpmid(b.eui);
      },
    });
    this.useCase(FIRMWARE_MESSAGE_CODE.CS06, (ctx) => this.firmware.device.activate(ctx));
  }

  get commissioned(): boolean {
    return this.state.commissioned;
  }

  get paymentMode(): PaymentMode {
    return this.state.account.mode;
  }

  get supply(): SupplyState {
    return this.state.account.supply;
  }

  get mpan(): string {
    return this.state.mpan;
  }

  get firmwareVersion(): number {
    return this.state.firmwareVersion;
  }

  /** The supplier whose commands and top-ups the meter accepts. */
  get supplier(): Eui {
    return this.cells.ds.eui;
  }

  /** PECS01 top-ups from paired PPMIDs: the server's records of what it answered and refused. */
  get hanTopUps(): HanTopUpServer {
    return this.han;
  }

  get pairedPpmids(): readonly Eui[] {
    return [...this.state.ppmids];
  }

  /** Pairs a PPMID (persistent), as a CS03A1 join would. */
  pairPpmid(eui: Eui): void {
    const id = normaliseEui(eui);
    if (!this.state.ppmids.includes(id)) this.state.ppmids.push(id);
  }

  get pendingExecutions(): readonly PendingExecution[] {
    return structuredClone(this.state.pending);
  }

  get billingLog(): readonly BillingLogEntry[] {
    return structuredClone(this.state.billingLog);
  }

  /** The meter clock: the simulation clock, plus any drift fault, plus what ECS70 set. */
  override deviceTime(): number {
    return super.deviceTime() + (this.state?.clock.offsetMs ?? 0);
  }

  readings(): EsmeReadings {
    this.accrueToNow();
    return readingsOf(this.state, this.demandW());
  }

  /** Changes the premises' load from now on. */
  setLoad(model: LoadModel): void {
    this.accrueToNow();
    this.loadModel = model;
    this.load = drawLoad(model, this.loadRandom);
  }

  /**
   * Checks and applies a UTRN: from a CS01a command (with the command's originator counter), or typed on a PPMID
   * or the meter (the counter is then rebuilt from the UTRN's 10 counter bits). A refusal changes nothing.
   */
  applyUtrn(utrn: string, options: { originatorCounter?: bigint; source?: TopUpSource } = {}): UtrnAcceptance {
    this.accrueToNow();
    // A meter in credit mode takes no prepayment top-up; the UTRN is not spent, so it still works after a change to prepayment.
    const acceptance: UtrnAcceptance =
      this.state.account.mode === 'prepayment'
        ? this.utrn.accept(utrn, options.originatorCounter === undefined ? {} : { originatorCounter: options.originatorCounter })
        : { ok: false, reason: 'not-in-prepayment', detail: 'the meter is in credit mode' };
    const record: TopUpRecord = { at: this.clock.now(), utrn, source: options.source ?? 'remote', accepted: acceptance.ok };
    if (acceptance.ok) record.amount = this.credit(acceptance.value * (acceptance.valueClass === 'pounds' ? CURRENCY_UNITS_PER_POUND : CURRENCY_UNITS_PER_PENNY));
    else record.refusal = `${acceptance.reason}: ${acceptance.detail}`;
    this.topUps.push(record);
    return acceptance;
  }

  /** Credits a top-up; returns the pounds credited. */
  private credit(amount: number): number {
    topUp(this.state.account, amount);
    return pounds(amount);
  }

  /** Emergency credit asked for on the meter or a PPMID: true when it is active afterwards. */
  activateEmergencyCredit(): boolean {
    this.accrueToNow();
    return activateEmergencyCredit(this.state.account);
  }

  /** The consumer presses the button that enables an armed supply. */
  pressSupplyButton(): boolean {
    this.accrueToNow();
    return enableArmedSupply(this.state.account);
  }

  override async start(): Promise<void> {
    await super.start();
    this.running = true;
    if (this.powered) this.resumeMetering();
  }

  override async stop(): Promise<void> {
    this.suspendMetering();
    this.running = false;
    await super.stop();
  }

  snapshot(): EsmeSnapshot {
    this.accrueToNow();
    return { format: SNAPSHOT_FORMAT, state: structuredClone({ ...this.state, utrn: this.utrn.snapshot() }), guard: this.guard.snapshot() };
  }

  /** Loads another meter's persistent state (a meter rebuilt after a power cut, or a saved rig). */
  restore(snapshot: EsmeSnapshot): void {
    const s = checkSnapshot(snapshot);
    const wasMetering = this.meteringActive;
    this.suspendMetering();
    this.state = structuredClone(s.state);
    for (const usage of ['ds', 'ka', 'pp-ka'] as const) {
      const stored = this.state.supplierCells[usage];
      this.installKey(stored.eui, usage, publicKeyFromRaw(fromHex(stored.key)));
    }
    this.guard.restore(s.guard);
    this.cells = this.storedCells();
    this.useUtrnState();
    if (wasMetering) this.resumeMetering();
  }

  protected override onPowerOff(): void {
    super.onPowerOff();
    this.suspendMetering();
    this.firmware.powerOff();
  }

  protected override onPowerOn(): void {
    super.onPowerOn();
    if (this.running) this.resumeMetering();
    this.firmware.powerOn();
  }

  protected override notCommissionedReply(ctx: CommandContext): UseCaseReply | undefined {
    const request = decodeAccessRequest(ctx.frame.payload);
    return request && this.reply(ctx.frame, failAll(request, RESULT.temporaryFailure));
  }

  protected override async processCommand(bytes: Uint8Array): Promise<Uint8Array[]> {
    // GBCS section 13 makes CS02b critical, but the catalogue leaves it to "see GBCS", so the guard would let an
    // unsigned one through: it is refused here, before the guard takes its counter.
    const frame = tryDecodeFrame(bytes);
    if (frame?.header.other.messageCode === CS02B_SUPPLIER_BY_SUPPLIER && !frame.signature?.length) {
      this.refuse({ reason: 'unsigned-critical', detail: 'CS02b must be signed by the authorising party', messageCode: CS02B_SUPPLIER_BY_SUPPLIER, originator: frame.header.originator });
      return [];
    }
    return super.processCommand(bytes);
  }

  /** ZCL from IHDs and PPMIDs (reads, PECS01 top-ups) before GBCS through the hub's tunnel. */
  protected override async handle(envelope: Envelope): Promise<void> {
    if (this.firmware.fromHan(envelope)) return;
    if (await this.meteringServer.handle(envelope)) return;
    if (await this.han.handle(envelope)) return;
    return super.handle(envelope);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Use cases

  private registerUseCases(): void {
    const c = ESME_MESSAGE_CODES;
    const money = { needsCommissioning: true };
    this.useCase(c.ECS70, this.dlms((r) => this.setClock(r)));
    this.useCase(c.CS01a, this.dlms((r, f) => this.topUpCommand(r, f)), money);
    this.useCase(c.ECS02, this.dlms((r, f) => this.paymentModeCommand(r, f, 'credit')), money);
    this.useCase(c.ECS03, this.dlms((r, f) => this.paymentModeCommand(r, f, 'prepayment')), money);
    this.useCase(c.ECS09, this.dlms((r) => this.emergencyCreditCommand(r)), money);
    this.useCase(c.ECS39a, this.dlms((r) => this.setMpan(r)));
    this.useCase(c.ECS52, this.dlms((r) => readFirmwareVersion(r, this.state)));
    this.useCase(c.ECS82, this.dlms((r) => readMeterBalance(r, this.state)));
    this.useCase(c.ECS26j, this.dlms((r) => readPaymentMode(r, this.state)));
    this.useCase(c.ECS19, this.dlms((r, f) => readPrepaymentRegisters(r, this.state, this.protectedParties(f))));
    this.useCase(c.ECS20b, this.dlms((r, f) => readBillingDataLog(r, this.state, this.protectedParties(f))));
    this.useCase(c.CS02b, (ctx) => this.updateCredentials(ctx));
  }

  /** A DLMS use case: the request decoded (malformed ones are discarded), the meter brought up to date first. */
  private dlms(answer: (request: AccessRequest, frame: DecodedFrame) => AccessResponse): (ctx: CommandContext) => UseCaseReply | undefined {
    return ({ frame }) => {
      const request = decodeAccessRequest(frame.payload);
      if (!request || request.requests.length === 0) {
        this.refuse({ reason: 'malformed', detail: 'the payload is not a DLMS access-request', messageCode: frame.header.other.messageCode, originator: frame.header.originator });
        return undefined;
      }
      this.accrueToNow();
      return this.reply(frame, answer(request, frame));
    };
  }

  private reply(frame: DecodedFrame, response: AccessResponse): UseCaseReply {
    return { payload: apduBytes(response), ...this.datedResponse(frame) };
  }

  private datedResponse(frame: DecodedFrame): Pick<UseCaseReply, 'responseDateTime'> {
    return DATED_RESPONSES.has(frame.header.other.messageCode) ? { responseDateTime: cosemDateTime(new Date(this.deviceTime())) } : {};
  }

  /**
   * ECS70: GBCS sends the preset time unspecified and brackets the DCC's time with the validity interval, so the
   * meter takes the middle of the interval; a preset time, when given, is taken as it is. Setting the clock
   * commissions the meter (8.1.1).
   */
  private setClock(request: AccessRequest): AccessResponse {
    if (!isRequestFor(request, CLOCK_ITEMS)) return failAll(request, RESULT.objectUndefined);
    const preset = request.data[1];
    const [time, start, end] = preset?.type === 'structure' && preset.elements.length === 3 ? preset.elements.map(readDateTime) : [];
    const target = typeof time === 'number' ? time : typeof start === 'number' && typeof end === 'number' ? (start + end) / 2 : undefined;
    if (target === undefined) return breakOnError(request, [{}, { result: RESULT.typeUnmatched }]);
    this.state.clock.offsetMs += target - this.deviceTime();
    this.state.clock.valid = true;
    this.state.commissioned = true;
    this.scheduleExecutions();
    return respondTo(request, [{}, {}, {}, { data: dateTimeString(cosemDateTime(new Date(this.deviceTime()))) }, { data: unsigned(0) }]);
  }

  /** CS01a: a UTRN through the token gateway. The RTDS answers a refused one with hardware-fault. */
  private topUpCommand(request: AccessRequest, frame: DecodedFrame): AccessResponse {
    const data = request.data[0];
    if (!isRequestFor(request, [TOKEN_GATEWAY]) || data?.type !== 'octet-string') return failAll(request, RESULT.objectUndefined);
    const accepted = this.applyUtrn(new TextDecoder().decode(data.value), { originatorCounter: frame.header.counter, source: 'remote' });
    return respondTo(request, [{ result: accepted.ok ? RESULT.success : RESULT.hardwareFault }]);
  }

  /** ECS09: GBCS says other-reason when emergency credit is not active afterwards. */
  private emergencyCreditCommand(request: AccessRequest): AccessResponse {
    if (!isRequestFor(request, [EMERGENCY_CREDIT])) return failAll(request, RESULT.objectUndefined);
    return respondTo(request, [{ result: activateEmergencyCredit(this.state.account) ? RESULT.success : RESULT.otherReason }]);
  }

  private setMpan(request: AccessRequest): AccessResponse {
    const data = request.data[0];
    if (!isRequestFor(request, [IMPORT_MPAN])) return failAll(request, RESULT.objectUndefined);
    const text = data?.type === 'octet-string' ? new TextDecoder().decode(data.value) : '';
    if (!MPAN_PATTERN.test(text)) return failAll(request, RESULT.typeUnmatched);
    this.state.mpan = text;
    return respondTo(request, [{}]);
  }

  /** ECS02 / ECS03: each passive value takes effect now, later (pending, then an alert), or a pending one is cancelled. */
  private paymentModeCommand(request: AccessRequest, frame: DecodedFrame, mode: PaymentMode): AccessResponse {
    const command = readPaymentModeCommand(request, mode);
    if (command.activations.length === 0) return breakOnError(request, command.outcomes);
    const now = this.deviceTime();
    const futureDated = command.activations.find((a) => typeof a.at === 'number' && a.at > now);
    if (futureDated && this.defects.has('refuse-future-dated-mode-change')) {
      return breakOnError(request, command.outcomes.map((o, i) => (i === futureDated.item ? { result: RESULT.hardwareFault } : o)));
    }
    for (const a of command.activations) this.activate(a, frame, now);
    this.scheduleExecutions();
    return respondTo(request, command.outcomes);
  }

  private activate(a: Activation, frame: DecodedFrame, now: number): void {
    const action: PendingAction = a.kind === 'payment-mode' ? { kind: a.kind, mode: a.mode, ...(a.charges ? { charges: a.charges } : {}) } : { kind: a.kind, value: a.value };
    // One passive value per attribute: a new activation time replaces a pending one, "never" just cancels it.
    this.state.pending = this.state.pending.filter((p) => p.action.kind !== a.kind);
    if (a.at === 'never') return;
    if (a.at === 'now' || a.at <= now) {
      this.execute(action);
      return;
    }
    const h = frame.header;
    this.state.pending.push({ at: a.at, action, command: { messageCode: h.other.messageCode, originatorCounter: h.counter.toString(), originator: h.originator, target: a.target } });
  }

  private execute(action: Exclude<PendingAction, { kind: 'security-credentials' }>): void {
    const account = this.state.account;
    if (action.kind === 'disablement-threshold') {
      account.disablementThreshold = action.value;
      updateSupply(account);
      return;
    }
    appendEntry(this.state.billingLog, billingEntry(this.deviceTime(), this.state.registers, account));
    if (action.charges) account.charges = action.charges;
    setPaymentMode(account, action.mode);
  }

  private protectedParties(frame: DecodedFrame) {
    const h = frame.header;
    const responseHeader = { cra: 2 as const, counter: h.counter, originator: this.eui, recipient: h.originator, other: { messageCode: h.other.messageCode } };
    return { requester: h.originator, device: this.eui, counter: h.counter, encrypt: (plaintext: Uint8Array) => this.guard.security.encryptPayload(responseHeader, plaintext) };
  }

  /** CS02b: at once, or kept until its execution date-time (the response then carries no outcome; the alert will). */
  private updateCredentials(ctx: CommandContext): UseCaseReply | undefined {
    const h = ctx.frame.header;
    let command: CredentialsCommand;
    try {
      command = readCredentialsCommand(ctx.frame.payload);
    } catch (e) {
      if (!(e instanceof CredentialsCommandError)) throw e;
      this.refuse({ reason: 'malformed', detail: e.message, messageCode: h.other.messageCode, originator: h.originator });
      return undefined;
    }
    this.accrueToNow();
    const now = this.deviceTime();
    const dated = this.datedResponse(ctx.frame);
    const at = command.executionDateTime;
    if (at !== undefined && (at === CANCELLATION_DATE_TIME.getTime() || at > now)) {
      this.state.pending = this.state.pending.filter((p) => p.action.kind !== 'security-credentials');
      if (at !== CANCELLATION_DATE_TIME.getTime()) {
        const action: PendingAction = { kind: 'security-credentials', payload: toHex(ctx.frame.payload) };
        this.state.pending.push({ at, action, command: { messageCode: h.other.messageCode, originatorCounter: h.counter.toString(), originator: h.originator } });
      }
      this.scheduleExecutions();
      return { payload: buildUpdateSecurityCredentialsResponse(), ...dated };
    }
    return { payload: buildUpdateSecurityCredentialsResponse(this.carryOutCredentials(command, h.counter, now).outcome), ...dated };
  }

  private carryOutCredentials(command: CredentialsCommand, counter: bigint, now: number): CredentialsResult {
    const result = evaluateCredentialsCommand(command, { counter, cells: this.cells, smkiRoot: this.smkiRoot, now });
    for (const usage of ['ds', 'ka', 'pp-ka'] as const) {
      const facts = result.replaced[usage];
      if (facts?.entityId) this.replaceCell(usage, { eui: facts.entityId, key: facts.publicKey }, command);
    }
    return result;
  }

  private replaceCell(usage: KeyUsage, cell: AnchorCell, command: CredentialsCommand): void {
    this.installKey(cell.eui, usage, cell.key);
    this.cells[usage] = cell;
    this.state.supplierCells[usage] = storeCell(cell);
    if (usage === 'ds') this.guard.replaceTrustAnchor('supplier', cell.eui, command.floorSeqNumber);
    if (usage === 'pp-ka') {
      // The prepayment floor sequence number is an originator counter; UTRN counters are its high 32 bits.
      const floor = Number(command.topUpFloorSeqNumber >> 32n);
      this.state.utrn = { capacity: this.utrn.capacity, accepted: floor > 0 ? [floor] : [] };
      this.useUtrnState();
    }
  }

  private installKey(eui: Eui, usage: KeyUsage, key: PublicKey): void {
    const keys = this.guard.security.keys;
    if (keys.publicKey(eui, usage)) keys.replacePublic(eui, usage, key);
    else keys.addPublic(eui, usage, key);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Metering and future-dated execution over virtual time

  private demandW(): number {
    return this.meteringActive && this.state.account.supply === 'enabled' ? this.load : 0;
  }

  private accrueToNow(): void {
    if (!this.meteringActive) return;
    const now = this.clock.now();
    const ms = now - this.lastAccrualAt;
    if (ms <= 0) return;
    accrue(this.state.registers, this.state.account, this.state.tariff, { fromDeviceMs: this.deviceTime() - ms, ms, watts: this.demandW() });
    this.lastAccrualAt = now;
  }

  private resumeMetering(): void {
    if (this.meteringActive) return;
    this.meteringActive = true;
    this.lastAccrualAt = this.clock.now();
    this.load = drawLoad(this.loadModel, this.loadRandom);
    this.scheduleTick();
    this.scheduleExecutions();
  }

  /** Power lost or the meter stopped: registers brought up to date, load and timers gone. */
  private suspendMetering(): void {
    this.accrueToNow();
    this.meteringActive = false;
    this.load = 0;
    if (this.tickTimer) this.clock.clearTimer(this.tickTimer);
    if (this.executionTimer) this.clock.clearTimer(this.executionTimer);
    this.tickTimer = this.executionTimer = undefined;
  }

  private scheduleTick(): void {
    this.tickTimer = this.clock.setTimer(this.tickMs, () => {
      this.accrueToNow();
      this.load = drawLoad(this.loadModel, this.loadRandom);
      this.scheduleTick();
    });
  }

  private scheduleExecutions(): void {
    if (this.executionTimer) this.clock.clearTimer(this.executionTimer);
    this.executionTimer = undefined;
    if (!this.meteringActive || this.state.pending.length === 0) return;
    const next = Math.min(...this.state.pending.map((p) => p.at));
    this.executionTimer = this.clock.setTimer(Math.max(0, next - this.deviceTime()), () => {
      this.executionTimer = undefined;
      void this.executeDue().catch((e: unknown) => this.onHandlerError(e));
    });
  }

  private async executeDue(): Promise<void> {
    this.accrueToNow();
    const now = this.deviceTime();
    const due = dueExecutions(this.state.pending, now);
    this.state.pending = this.state.pending.filter((p) => !due.includes(p));
    const alerts = due.map((p) => this.executeFutureDated(p, now));
    this.scheduleExecutions();
    for (const alert of alerts) await this.sendToHub(alert);
  }

  /** Carries out a pending execution and returns the signed alert that reports it. */
  private executeFutureDated(p: PendingExecution, now: number): Uint8Array {
    const action = p.action;
    if (action.kind === 'security-credentials') {
      const result = this.carryOutCredentials(readCredentialsCommand(fromHex(action.payload)), BigInt(p.command.originatorCounter), now);
      const alert = buildUpdateSecurityCredentialsAlert({ alertCode: allReplaced(result) ? 0x8f66 : 0x8f67, executionDateTime: new Date(now), executionOutcome: result.outcome });
      return this.guard.alert(p.command.originator, FUTURE_DATED_CREDENTIALS_ALERT, alert, { signed: true });
    }
    this.execute(action);
    return this.guard.alert(p.command.originator, FUTURE_DATED_ALERT_MESSAGE_CODE, executedAlertPayload(p, this.guard.nextAlertCounter, now), { signed: true });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Initial state

  private initialCells(): SupplierCells {
    const supplier = this.guard.trustAnchor('supplier');
    const keys = this.guard.security.keys;
    const cell = (usage: KeyUsage): AnchorCell => {
      const key = supplier && keys.publicKey(supplier, usage);
      if (!supplier || !key) throw new Error(`ESME ${this.eui}: no supplier ${usage} key among its trust anchors`);
      return { eui: supplier, key };
    };
    return { ds: cell('ds'), ka: cell('ka'), 'pp-ka': cell('pp-ka') };
  }

  private storedCells(): SupplierCells {
    const cell = (usage: KeyUsage): AnchorCell => {
      const s = this.state.supplierCells[usage];
      return { eui: s.eui, key: publicKeyFromRaw(fromHex(s.key)) };
    };
    return { ds: cell('ds'), ka: cell('ka'), 'pp-ka': cell('pp-ka') };
  }

  /**
   * Builds the UTRN check from `state.utrn` and the prepayment cell, and the HAN top-up server around it, so a UTRN
   * is spent once whether it comes by CS01a or from a PPMID.
   */
  private useUtrnState(): void {
    const devicePrivateKey = this.guard.security.keys.privateKey(this.eui, 'ka');
    if (!devicePrivateKey) throw new Error(`ESME ${this.eui} holds no key agreement private key`);
    const pp = this.cells['pp-ka'];
    const options = { devicePrivateKey, supplierPrepaymentPublicKey: pp.key, originator: pp.eui, target: this.eui, cache: this.guard.security.cache };
    this.utrn = new MeterUtrnAcceptor(options, this.state.utrn, this.defects.has('accept-reused-utrn'));
    this.han = new HanTopUpServer({
      eui: this.eui,
      clock: this.clock,
      pki: this.pki,
      acceptor: this.utrn,
      account: {
        creditRemainingGbp: () => this.readings().balance,
        apply: (t: AppliedTopUp) => {
          const amount = this.credit(Math.round(t.amountGbp * CURRENCY_UNITS_PER_POUND));
          this.topUps.push({ at: this.clock.now(), utrn: t.utrn, source: 'ppmid', accepted: true, amount });
        },
        refuse: () => (this.commissioned ? undefined : 'error'),
      },
      ppmids: () => this.state.ppmids,
      send: (to, frame, meta) => this.transmit(to, 'zcl', frame, meta),
      answers: () => this.network === 'joined',
    });
  }
}

function tryDecodeFrame(bytes: Uint8Array): DecodedFrame | undefined {
  try {
    return decodeFrame(bytes);
  } catch (e) {
    if (e instanceof GbcsDecodeError) return undefined;
    throw e;
  }
}
