import type { Eui } from '../../src/crypto/eui.ts';
import { GbcsDecodeError } from '../../src/gbcs/errors.ts';
import { decodePayload } from '../../src/gbcs/payload/index.ts';
import { buildSetTimeResponse } from '../../src/gbcs/payload/asn1/index.ts';
import {
  changePaymentModeResponse,
  CLUSTER,
  encodeGbzMessage,
  readBillingDataLogResponse,
  statusResponse,
  STATUS_FAILURE,
  STATUS_NOT_FOUND,
  STATUS_SUCCESS,
  topUpResponse,
  UTC_NONE,
  type ConsumptionSnapshot,
  type GbzComponent,
  type GbzMessage,
  type PrepaySnapshot,
  type SnapshotResult,
} from '../../src/gbcs/payload/gbz/index.ts';
import type { GbcsSecurity } from '../../src/gbcs/security.ts';
import type { UtrnRefusal } from '../../src/gbcs/utrn.ts';
import type { CommandContext, UseCaseReply } from '../core/gbcs-device.ts';
import { answerReads, gbzCommandOf, numberParam, responseEncryptor, singleCommand, textParam, ZCL_STATUS } from './gbz-replies.ts';
import { readGsmeAttribute, type GsmeReadings } from './gsme-attributes.ts';
import { BLOCK_REGISTERS, PREPAYMENT_ENABLED, type BillingSnapshot, type GasMeterModel } from './meter-model.ts';
import { moneyFromZcl, moneyToZcl, unsignedMoneyUnits, volumeUnits, wholeSeconds } from './units.ts';
import { MESSAGE_CODE as CODE } from '../../src/gbcs/message-codes.ts';

/**
 * The GBCS use cases a GSME runs, as state transitions on its model and the responses the RTDS shows for them.
 * Refusals change nothing. Which use cases need the meter commissioned first is the table's business.
 */

/** Planted defects a configuration set can switch on. */
export type GsmeDefect = 'refuse-future-dated-mode-change';

export const GSME_MESSAGE_CODE = {
  GCS02_TO_CREDIT: CODE.GCS02,
  GCS03_TO_PREPAYMENT: CODE.GCS03,
  GCS06_EMERGENCY_CREDIT: CODE.GCS06,
  GCS14_PREPAYMENT_REGISTERS: CODE.GCS14,
  GCS28_SET_CLOCK: CODE.GCS28,
  GCS38_FIRMWARE_VERSION: CODE.GCS38,
  GCS41_SET_MPRN: CODE.GCS41,
  GCS60_METER_BALANCE: CODE.GCS60,
  CS01B_TOP_UP: CODE.CS01b,
  GCS21J_PAYMENT_MODE: CODE.GCS21j,
  GCS15B_BILLING_DATA_LOG: CODE.GCS15b,
  FUTURE_DATED_ALERT: CODE.FDEIA_ZigBee,
  GCS60A_METER_BALANCE: CODE.GCS60a,
} as const;

/** The use cases whose responses carry the device's date-time in the GBCS header, as the RTDS shows. */
export const RESPONSES_WITH_DATE_TIME: ReadonlySet<number> = new Set([
  GSME_MESSAGE_CODE.CS01B_TOP_UP,
  GSME_MESSAGE_CODE.GCS02_TO_CREDIT,
  GSME_MESSAGE_CODE.GCS03_TO_PREPAYMENT,
  GSME_MESSAGE_CODE.GCS14_PREPAYMENT_REGISTERS,
  GSME_MESSAGE_CODE.GCS60A_METER_BALANCE,
]);

/** Consumer Top Up Response ResultType values (Prepayment cluster). */
export const TOP_UP_RESULT = { ACCEPTED: 0x00, REJECTED_INVALID: 0x01, REJECTED_DUPLICATE: 0x02 } as const;

/** A payment mode change waiting for its implementation time (non-volatile). */
export interface PendingModeChange {
  messageCode: number;
  originator: Eui;
  counter: bigint;
  component: Pick<GbzComponent, 'clusterId' | 'header'>;
  paymentControlConfiguration: number;
  cutOffGbp: number;
  /** Device time at which it takes effect. */
  at: number;
}

export type TopUpOutcome = { accepted: true; valueGbp: number } | { accepted: false; reason: UtrnRefusal; detail: string };

/** What the use cases need of the meter they run on. */
export interface GsmeHost extends GsmeReadings {
  readonly eui: Eui;
  readonly meter: GasMeterModel;
  readonly security: GbcsSecurity;
  hasDefect(defect: GsmeDefect): boolean;
  /** The meter's own clock. */
  localTime(): number;
  /** The time the hub's Time cluster serves: the network's. */
  networkTime(): number;
  /** Takes the network's time and, with it, counts as commissioned. */
  synchroniseClock(): void;
  applyUtrn(utrn: string, originatorCounter?: bigint): TopUpOutcome;
  setMprn(mprn: string): void;
  /** Keeps a future-dated mode change until its time, replacing any pending one. */
  scheduleModeChange(change: PendingModeChange): void;
  cancelPendingModeChange(): void;
}

export interface GsmeUseCase {
  name: string;
  codes: number[];
  needsCommissioning: boolean;
  handle(host: GsmeHost, ctx: CommandContext): UseCaseReply;
}

const EPOCH_2000_MS = Date.UTC(2000, 0, 1);
const gbz = (message: GbzMessage): UseCaseReply => ({ payload: encodeGbzMessage(message) });
const malformed = (message: GbzMessage) => gbz(statusResponse(message, ZCL_STATUS.MALFORMED_COMMAND));

function setClock(host: GsmeHost, { frame }: CommandContext): UseCaseReply {
  const decoded = decodePayload(frame.payload, { messageCode: frame.header.other.messageCode, cra: 1, offset: frame.payloadOffset });
  const fields = decoded?.kind === 'set-time-command' ? (decoded.fields as Record<string, unknown>) : undefined;
  const start = Date.parse(String(fields?.validityIntervalStart));
  const end = Date.parse(String(fields?.validityIntervalEnd));
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new GbcsDecodeError(frame.payloadOffset, 'a GCS28 set time command', decoded?.kind ?? 'no known payload');
  const now = host.networkTime();
  const inside = now >= start && now <= end;
  if (inside) host.synchroniseClock();
  return { payload: buildSetTimeResponse({ deviceTime: wholeSeconds(host.localTime()), deviceTimeStatus: inside ? 'reliable' : 'unreliable' }) };
}

function topUp(host: GsmeHost, { frame }: CommandContext): UseCaseReply {
  const message = gbzCommandOf(frame);
  const command = singleCommand(message, CLUSTER.PREPAYMENT, 'consumerTopUp');
  const utrn = command && textParam(command.params, 'topUpCode');
  if (!command || utrn === undefined) return malformed(message);
  const outcome = host.applyUtrn(utrn, frame.header.counter);
  const resultType = outcome.accepted ? TOP_UP_RESULT.ACCEPTED : outcome.reason === 'reused-counter' ? TOP_UP_RESULT.REJECTED_DUPLICATE : TOP_UP_RESULT.REJECTED_INVALID;
  return gbz(
    topUpResponse(message, {
      resultType,
      // The RTDS answers a rejected UTRN with -1: no value was applied.
      topUpValue: outcome.accepted ? moneyToZcl(outcome.valueGbp) : -1,
      sourceOfTopUp: numberParam(command.params, 'originatingDevice') ?? 0,
      creditRemaining: moneyToZcl(host.meter.balanceGbp),
    }),
  );
}

function changePaymentMode(host: GsmeHost, { frame }: CommandContext): UseCaseReply {
  const message = gbzCommandOf(frame);
  const command = singleCommand(message, CLUSTER.PREPAYMENT, 'changePaymentMode');
  const config = command && numberParam(command.params, 'proposedPaymentControlConfiguration');
  const when = command && numberParam(command.params, 'implementationDateTime');
  const cutOff = command && numberParam(command.params, 'cutOffValue');
  if (!command || config === undefined || when === undefined || cutOff === undefined) return malformed(message);
  const toPrepayment = frame.header.other.messageCode === GSME_MESSAGE_CODE.GCS03_TO_PREPAYMENT;
  if (((config & PREPAYMENT_ENABLED) !== 0) !== toPrepayment) return gbz(statusResponse(message, ZCL_STATUS.INVALID_VALUE));
  const ec = host.meter.emergencyCredit;
  const accepted = gbz(
    changePaymentModeResponse(message, {
      friendlyCredit: 0,
      friendlyCreditCalendarId: 0,
      emergencyCreditLimit: unsignedMoneyUnits(ec.limitGbp),
      emergencyCreditThreshold: unsignedMoneyUnits(ec.thresholdGbp),
    }),
  );
  if (when === UTC_NONE) {
    host.cancelPendingModeChange();
    return accepted;
  }
  const at = EPOCH_2000_MS + when * 1000;
  if (when !== 0 && at > host.localTime()) {
    if (host.hasDefect('refuse-future-dated-mode-change')) return gbz(statusResponse(message, STATUS_FAILURE));
    host.scheduleModeChange({
      messageCode: frame.header.other.messageCode,
      originator: frame.header.originator,
      counter: frame.header.counter,
      component: command.component,
      paymentControlConfiguration: config,
      cutOffGbp: moneyFromZcl(cutOff),
      at,
    });
    return accepted;
  }
  host.meter.changePaymentMode(config, moneyFromZcl(cutOff), host.localTime());
  return accepted;
}

function activateEmergencyCredit(host: GsmeHost, { frame }: CommandContext): UseCaseReply {
  const message = gbzCommandOf(frame);
  if (!singleCommand(message, CLUSTER.PREPAYMENT, 'selectAvailableEmergencyCredit')) return malformed(message);
  return gbz(statusResponse(message, host.meter.activateEmergencyCredit() ? STATUS_SUCCESS : STATUS_FAILURE));
}

function setMprn(host: GsmeHost, { frame }: CommandContext): UseCaseReply {
  const message = gbzCommandOf(frame);
  const command = singleCommand(message, CLUSTER.DEVICE_MANAGEMENT, 'updateSiteId');
  const mprn = command && textParam(command.params, 'siteId');
  if (mprn === undefined) return malformed(message);
  if (!/^\d{6,10}$/.test(mprn)) return gbz(statusResponse(message, ZCL_STATUS.INVALID_VALUE));
  host.setMprn(mprn);
  return gbz(statusResponse(message, STATUS_SUCCESS));
}

/** GCS14 returns the prepayment registers encrypted for the supplier; the other reads travel in clear. */
function read(host: GsmeHost, { frame }: CommandContext): UseCaseReply {
  const message = gbzCommandOf(frame);
  const encryptPrepayment = frame.header.other.messageCode === GSME_MESSAGE_CODE.GCS14_PREPAYMENT_REGISTERS;
  const encrypt = responseEncryptor(host.security, frame, host.eui);
  const answer = answerReads(message, (c, a) => readGsmeAttribute(host, c, a), (c) => (encryptPrepayment && c === CLUSTER.PREPAYMENT ? encrypt : undefined));
  return answer ? gbz(answer) : malformed(message);
}

/** A change of mode / tariff snapshot layout: a single tier in use, with the meter's four block registers. */
const TIERS_AND_BLOCKS_IN_USE = (1 << 4) | BLOCK_REGISTERS;

interface SnapshotQuery {
  from: number;
  to: number;
  offset: number;
  causes: number;
}

function snapshotQuery(c: GbzComponent): SnapshotQuery | undefined {
  if (c.payload?.type !== 'command') return undefined;
  const params = Object.fromEntries(c.payload.params.flatMap((p) => ('value' in p ? [[p.name, p.value]] : [])));
  const [from, to, offset, causes] = ['earliestStartTime', 'latestEndTime', 'snapshotOffset', 'snapshotCause'].map((n) => params[n]);
  if (typeof from !== 'number' || typeof to !== 'number' || typeof offset !== 'number' || typeof causes !== 'number') return undefined;
  return { from: EPOCH_2000_MS + from * 1000, to: EPOCH_2000_MS + to * 1000, offset, causes };
}

function findSnapshot<S>(meter: GasMeterModel, q: SnapshotQuery, publish: (s: BillingSnapshot, found: number) => S): SnapshotResult<S> {
  const found = meter.findSnapshots(q.from, q.to, q.causes);
  const s = found[q.offset];
  return s ? publish(s, found.length) : { status: STATUS_NOT_FOUND };
}

const snapshotHeader = (s: BillingSnapshot, found: number) => ({ snapshotId: s.id, snapshotTime: wholeSeconds(s.at), totalSnapshotsFound: found, snapshotCause: s.cause });

function prepaySnapshot(s: BillingSnapshot, found: number): PrepaySnapshot {
  return {
    ...snapshotHeader(s, found),
    accumulatedDebt: moneyToZcl(s.accumulatedDebtGbp),
    type1DebtRemaining: unsignedMoneyUnits(s.debtsGbp[0]),
    type2DebtRemaining: unsignedMoneyUnits(s.debtsGbp[1]),
    type3DebtRemaining: unsignedMoneyUnits(s.debtsGbp[2]),
    emergencyCreditRemaining: moneyToZcl(s.emergencyCreditRemainingGbp),
    creditRemaining: moneyToZcl(s.balanceGbp),
  };
}

function consumptionSnapshot(s: BillingSnapshot, found: number): ConsumptionSnapshot {
  return {
    ...snapshotHeader(s, found),
    currentSummationDelivered: volumeUnits(s.volumeM3),
    tierSummations: s.tierVolumesM3.map(volumeUnits),
    numberOfTiersAndBlockThresholdsInUse: TIERS_AND_BLOCKS_IN_USE,
    blockSummations: s.blockVolumesM3.map(volumeUnits),
  };
}

/** GCS15b: Get Prepay Snapshot components first, then Get Snapshot components, each answered from the log. */
function readBillingDataLog(host: GsmeHost, { frame }: CommandContext): UseCaseReply {
  const message = gbzCommandOf(frame);
  if (message.form !== 'command') return malformed(message);
  const prepay: SnapshotQuery[] = [];
  const consumption: SnapshotQuery[] = [];
  for (const c of message.components) {
    const alone: GbzMessage = { form: 'command', components: [c] };
    const isPrepay = singleCommand(alone, CLUSTER.PREPAYMENT, 'getPrepaySnapshot') !== undefined;
    const isConsumption = singleCommand(alone, CLUSTER.METERING, 'getSnapshot') !== undefined;
    const q = snapshotQuery(c);
    if (!q || !(isPrepay || isConsumption) || (isPrepay && consumption.length > 0)) return malformed(message);
    (isPrepay ? prepay : consumption).push(q);
  }
  const results = {
    prepayment: prepay.map((q) => findSnapshot(host.meter, q, prepaySnapshot)),
    consumption: consumption.map((q) => findSnapshot(host.meter, q, consumptionSnapshot)),
  };
  return gbz(readBillingDataLogResponse(message, results, responseEncryptor(host.security, frame, host.eui)));
}

const C = GSME_MESSAGE_CODE;

export const GSME_USE_CASES: readonly GsmeUseCase[] = [
  { name: 'GCS28', codes: [C.GCS28_SET_CLOCK], needsCommissioning: false, handle: setClock },
  { name: 'CS01b', codes: [C.CS01B_TOP_UP], needsCommissioning: true, handle: topUp },
  { name: 'GCS02/GCS03', codes: [C.GCS02_TO_CREDIT, C.GCS03_TO_PREPAYMENT], needsCommissioning: true, handle: changePaymentMode },
  { name: 'GCS06', codes: [C.GCS06_EMERGENCY_CREDIT], needsCommissioning: true, handle: activateEmergencyCredit },
  { name: 'GCS41', codes: [C.GCS41_SET_MPRN], needsCommissioning: false, handle: setMprn },
  {
    name: 'reads',
    codes: [C.GCS14_PREPAYMENT_REGISTERS, C.GCS60_METER_BALANCE, C.GCS60A_METER_BALANCE, C.GCS21J_PAYMENT_MODE, C.GCS38_FIRMWARE_VERSION],
    needsCommissioning: false,
    handle: read,
  },
  { name: 'GCS15b', codes: [C.GCS15B_BILLING_DATA_LOG], needsCommissioning: false, handle: readBillingDataLog },
];

/** Before commissioning a GSME refuses the use cases that need it with a Default Response NOT_AUTHORIZED. */
export function notCommissionedReply({ frame }: CommandContext): UseCaseReply | undefined {
  try {
    return gbz(statusResponse(gbzCommandOf(frame), ZCL_STATUS.NOT_AUTHORIZED));
  } catch (e) {
    if (e instanceof GbcsDecodeError) return undefined;
    throw e;
  }
}
