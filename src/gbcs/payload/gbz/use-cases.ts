import { GbcsEncodeError } from '../../errors.ts';
import {
  attributeRecord,
  commandDraft,
  gbzAlert,
  gbzCommand,
  readAttributesDraft,
  replyAttributes,
  replyCommand,
  replyDefault,
  replyNotExecuted,
  respondTo,
  type AttributeResult,
  type Encryptor,
  type Reply,
} from './builders.ts';
import { CLUSTER } from './clusters.ts';
import type { GbzComponent, GbzMessage } from './model.ts';
import { T, zclUtc } from './zcl-types.ts';

/**
 * Builders for the GBZ use cases of the business scenarios, each with its response. Layouts follow the GB
 * Reference Test Data Set: the command components, attribute lists and reply frame controls it shows.
 */

type Time = Date | number;

/** A component result for reads: the attribute values, or 'not-executed' after an earlier component failed. */
export type Attributes<K extends string> = Record<K, AttributeResult> | 'not-executed';

interface AttributeSpec {
  id: number;
  type: number;
}

function readReply<K extends string>(specs: Record<K, AttributeSpec>, result: Attributes<K>, o: { encrypt?: Encryptor; disableDefaultResponse?: boolean } = {}): Reply {
  if (result === 'not-executed') return replyNotExecuted();
  const records = (Object.keys(specs) as K[]).map((name) => {
    const value = result[name];
    if (value === undefined) throw new GbcsEncodeError(`missing attribute ${name}`);
    return attributeRecord(specs[name].id, specs[name].type, value);
  });
  return replyAttributes(records, o);
}

const ids = (specs: Record<string, AttributeSpec>) => Object.values(specs).map((s) => s.id);

// ---------------------------------------------------------------- CS01b: top up a GSME

/** CS01b (0x0097): apply a UTRN to a GSME. */
export function topUpCommand(o: { utrn: string; originatingDevice?: number }): GbzMessage {
  if (!/^\d{20}$/.test(o.utrn)) throw new GbcsEncodeError(`a UTRN has 20 digits, got ${JSON.stringify(o.utrn)}`);
  return gbzCommand([commandDraft(CLUSTER.PREPAYMENT, 'consumerTopUp', { originatingDevice: o.originatingDevice ?? 0, topUpCode: o.utrn })]);
}

export interface TopUpResult {
  /** 0x00 accepted; other values say why the UTRN was rejected. */
  resultType: number;
  topUpValue: number;
  sourceOfTopUp: number;
  creditRemaining: number;
}

/** CS01b response: the meter's Consumer Top Up Response (also how it reports a rejected UTRN). */
export function topUpResponse(command: GbzMessage, result: TopUpResult): GbzMessage {
  return respondTo(command, [replyCommand('consumerTopUpResponse', { ...result })]);
}

// ---------------------------------------------------------------- GCS02 / GCS03: change payment mode

/** Proposed payment control configurations the RTDS uses: credit mode, and prepayment with debt suspension options. */
export const PAYMENT_CONTROL = {
  CREDIT: 0x0c94,
  PREPAYMENT: 0x0897,
  PREPAYMENT_SUSPEND_DEBT_DISABLED: 0x0c97,
  PREPAYMENT_SUSPEND_DEBT_EMERGENCY: 0x0097,
} as const;

export interface PaymentModeChange {
  providerId?: number;
  issuerEventId: number;
  /** 0 (2000-01-01) for immediately, UTC_NONE to cancel a pending change, else the future date. */
  implementationDateTime: Time;
  proposedPaymentControlConfiguration: number;
  cutOffValue: number;
}

/** GCS02 (0x006C, to credit) and GCS03 (0x006D, to prepayment). */
export function changePaymentModeCommand(o: PaymentModeChange): GbzMessage {
  return gbzCommand([commandDraft(CLUSTER.PREPAYMENT, 'changePaymentMode', { providerId: 0, ...o })]);
}

export interface PaymentModeChangeResult {
  friendlyCredit: number;
  friendlyCreditCalendarId: number;
  emergencyCreditLimit: number;
  emergencyCreditThreshold: number;
}

export function changePaymentModeResponse(command: GbzMessage, result: PaymentModeChangeResult): GbzMessage {
  return respondTo(command, [replyCommand('changePaymentModeResponse', { ...result }, { disableDefaultResponse: true })]);
}

// ---------------------------------------------------------------- GCS41: set MPRN

/** GCS41 (0x0087): write the MPRN as the site id; the meter answers with statusResponse. */
export function setMprnCommand(o: { mprn: string; issuerEventId: number; siteIdTime?: Time; providerId?: number }): GbzMessage {
  const values = { issuerEventId: o.issuerEventId, siteIdTime: o.siteIdTime ?? 0, providerId: o.providerId ?? 0, siteId: o.mprn };
  return gbzCommand([commandDraft(CLUSTER.DEVICE_MANAGEMENT, 'updateSiteId', values)]);
}

// ---------------------------------------------------------------- GCS06: activate emergency credit

/** GCS06 (0x0070): Select Available Emergency Credit; the meter answers with statusResponse. */
export function activateEmergencyCreditCommand(o: { commandIssueDateTime?: Time; originatingDevice?: number } = {}): GbzMessage {
  const values = { commandIssueDateTime: o.commandIssueDateTime ?? 0, originatingDevice: o.originatingDevice ?? 0 };
  return gbzCommand([commandDraft(CLUSTER.PREPAYMENT, 'selectAvailableEmergencyCredit', values)]);
}

// ---------------------------------------------------------------- GCS14: read prepayment registers

const GCS14_PRICE = {
  priceTrailingDigit: { id: 0x0617, type: T.BITMAP8 },
  currency: { id: 0x0616, type: T.UINT16 },
};
const GCS14_PREPAYMENT = {
  accumulatedDebt: { id: 0x0005, type: T.INT32 },
  emergencyCreditRemaining: { id: 0x0002, type: T.INT32 },
  creditRemaining: { id: 0x0001, type: T.INT32 },
  debtAmount3: { id: 0x0231, type: T.UINT32 },
  debtAmount1: { id: 0x0211, type: T.UINT32 },
  debtAmount2: { id: 0x0221, type: T.UINT32 },
};

/** GCS14 (0x0075): price trailing digit and currency, then the prepayment registers. */
export function readPrepaymentRegistersCommand(): GbzMessage {
  return gbzCommand([readAttributesDraft(CLUSTER.PRICE, ids(GCS14_PRICE)), readAttributesDraft(CLUSTER.PREPAYMENT, ids(GCS14_PREPAYMENT))]);
}

/** The prepayment registers travel encrypted for the supplier. */
export function readPrepaymentRegistersResponse(
  command: GbzMessage,
  result: { price: Attributes<keyof typeof GCS14_PRICE>; registers: Attributes<keyof typeof GCS14_PREPAYMENT> },
  encrypt: Encryptor,
): GbzMessage {
  return respondTo(command, [readReply(GCS14_PRICE, result.price), readReply(GCS14_PREPAYMENT, result.registers, { encrypt })]);
}

// ---------------------------------------------------------------- GCS60: read meter balance

const GCS60_METERING = { billToDateDelivered: { id: 0x0a00, type: T.UINT32 } };
const GCS60_PREPAYMENT = { creditRemaining: { id: 0x0001, type: T.INT32 } };

/** GCS60 (0x008D): bill to date and credit remaining. */
export function readMeterBalanceCommand(): GbzMessage {
  return gbzCommand([readAttributesDraft(CLUSTER.METERING, ids(GCS60_METERING)), readAttributesDraft(CLUSTER.PREPAYMENT, ids(GCS60_PREPAYMENT))]);
}

export function readMeterBalanceResponse(
  command: GbzMessage,
  result: { metering: Attributes<keyof typeof GCS60_METERING>; prepayment: Attributes<keyof typeof GCS60_PREPAYMENT> },
): GbzMessage {
  return respondTo(command, [readReply(GCS60_METERING, result.metering), readReply(GCS60_PREPAYMENT, result.prepayment)]);
}

// ---------------------------------------------------------------- GCS21j: read payment mode

const GCS21J_PREPAYMENT = { paymentControlConfiguration: { id: 0x0000, type: T.BITMAP16 } };

/** GCS21j (0x00BF): the payment control configuration. */
export function readPaymentModeCommand(): GbzMessage {
  return gbzCommand([readAttributesDraft(CLUSTER.PREPAYMENT, ids(GCS21J_PREPAYMENT))]);
}

export function readPaymentModeResponse(command: GbzMessage, result: Attributes<keyof typeof GCS21J_PREPAYMENT>): GbzMessage {
  return respondTo(command, [readReply(GCS21J_PREPAYMENT, result)]);
}

// ---------------------------------------------------------------- GCS38: read firmware version

const GCS38_METERING = { firmwareVersion: { id: 0x0206, type: T.OCTET_STR } };

/** GCS38 (0x0084): the GSME reports its firmware version in the metering cluster's current meter id. */
export function readFirmwareVersionCommand(): GbzMessage {
  return gbzCommand([readAttributesDraft(CLUSTER.METERING, ids(GCS38_METERING))]);
}

export function readFirmwareVersionResponse(command: GbzMessage, result: Attributes<'firmwareVersion'>): GbzMessage {
  return respondTo(command, [readReply(GCS38_METERING, result)]);
}

// ---------------------------------------------------------------- GCS15b: read billing data log (change of mode / tariff)

/** How many snapshots of each kind GCS15b asks for. */
export const BILLING_DATA_LOG_ENTRIES = 12;

/** GCS15b (0x00C3): twelve prepayment snapshots (Get Prepay Snapshot) and twelve consumption snapshots (Get Snapshot). */
export function readBillingDataLogCommand(o: { earliestStartTime: Time; latestEndTime: Time; snapshotCause: number }): GbzMessage {
  const drafts = [];
  for (const [cluster, name] of [[CLUSTER.PREPAYMENT, 'getPrepaySnapshot'], [CLUSTER.METERING, 'getSnapshot']] as const) {
    for (let offset = 0; offset < BILLING_DATA_LOG_ENTRIES; offset++) {
      drafts.push(commandDraft(cluster, name, { earliestStartTime: o.earliestStartTime, latestEndTime: o.latestEndTime, snapshotOffset: offset, snapshotCause: o.snapshotCause }));
    }
  }
  return gbzCommand(drafts);
}

interface SnapshotHeader {
  snapshotId: number;
  snapshotTime: Time;
  totalSnapshotsFound: number;
  snapshotCause: number;
}

/** A Publish Prepay Snapshot with the debt and credit status payload. */
export interface PrepaySnapshot extends SnapshotHeader {
  accumulatedDebt: number;
  type1DebtRemaining: number;
  type2DebtRemaining: number;
  type3DebtRemaining: number;
  emergencyCreditRemaining: number;
  creditRemaining: number;
}

/** A Publish Snapshot with the block tier (delivered, no billing) payload. */
export interface ConsumptionSnapshot extends SnapshotHeader {
  currentSummationDelivered: number;
  tierSummations: number[];
  /** Tiers in the high nibble, block thresholds in the low nibble: one block summation per tier and block. */
  numberOfTiersAndBlockThresholdsInUse: number;
  blockSummations: number[];
}

/** A snapshot, the status of a Default Response (e.g. NOT_FOUND, HARDWARE_FAILURE), or not executed. */
export type SnapshotResult<S> = S | { status: number } | 'not-executed';

const PREPAY_SNAPSHOT_DEBT_CREDIT_STATUS = 0;
const SNAPSHOT_BLOCK_TIER_DELIVERED_NO_BILLING = 6;

function snapshotReply<S extends SnapshotHeader>(result: SnapshotResult<S>, publish: (s: S) => Reply): Reply {
  if (result === 'not-executed') return replyNotExecuted();
  if ('status' in result) return replyDefault(result.status);
  return publish(result);
}

/** Every snapshot fits one command: command index 0 of 1. */
function snapshotHeader(s: SnapshotHeader, payloadType: number) {
  return {
    snapshotId: s.snapshotId,
    snapshotTime: zclUtc(s.snapshotTime),
    totalSnapshotsFound: s.totalSnapshotsFound,
    commandIndex: 0,
    totalNumberOfCommands: 1,
    snapshotCause: s.snapshotCause,
    snapshotPayloadType: payloadType,
  };
}

function publishPrepaySnapshot(encrypt: Encryptor): (s: PrepaySnapshot) => Reply {
  return (s) => {
    const values = {
      ...snapshotHeader(s, PREPAY_SNAPSHOT_DEBT_CREDIT_STATUS),
      accumulatedDebt: s.accumulatedDebt,
      type1DebtRemaining: s.type1DebtRemaining,
      type2DebtRemaining: s.type2DebtRemaining,
      type3DebtRemaining: s.type3DebtRemaining,
      emergencyCreditRemaining: s.emergencyCreditRemaining,
      creditRemaining: s.creditRemaining,
    };
    return replyCommand('publishPrepaySnapshot', values, { disableDefaultResponse: true, encrypt });
  };
}

function publishConsumptionSnapshot(encrypt: Encryptor): (s: ConsumptionSnapshot) => Reply {
  return (s) => {
    const tiers = s.numberOfTiersAndBlockThresholdsInUse;
    const blocks = Math.max(tiers >> 4, 1) * (tiers & 0x0f);
    if (s.blockSummations.length !== blocks) throw new GbcsEncodeError(`numberOfTiersAndBlockThresholdsInUse 0x${tiers.toString(16)} needs ${blocks} block summations, got ${s.blockSummations.length}`);
    const values = {
      ...snapshotHeader(s, SNAPSHOT_BLOCK_TIER_DELIVERED_NO_BILLING),
      currentSummationDelivered: s.currentSummationDelivered,
      numberOfTiersInUse: s.tierSummations.length,
      tierSummations: s.tierSummations.map((summationDelivered) => ({ summationDelivered })),
      numberOfTiersAndBlockThresholdsInUse: tiers,
      blockSummations: s.blockSummations.map((summationDelivered) => ({ summationDelivered })),
    };
    return replyCommand('publishSnapshot', values, { disableDefaultResponse: true, encrypt });
  };
}

/** The snapshots travel encrypted; results are in the command's order (twelve prepayment, twelve consumption). */
export function readBillingDataLogResponse(
  command: GbzMessage,
  result: { prepayment: SnapshotResult<PrepaySnapshot>[]; consumption: SnapshotResult<ConsumptionSnapshot>[] },
  encrypt: Encryptor,
): GbzMessage {
  const replies = [
    ...result.prepayment.map((r) => snapshotReply(r, publishPrepaySnapshot(encrypt))),
    ...result.consumption.map((r) => snapshotReply(r, publishConsumptionSnapshot(encrypt))),
  ];
  return respondTo(command, replies);
}

// ---------------------------------------------------------------- alerts

export const ALERT = {
  FUTURE_DATED_ACTIONED: 0x8f66,
  FUTURE_DATED_NOT_ACTIONED: 0x8f67,
  FIRMWARE_VERIFICATION_SUCCESSFUL: 0x8f72,
} as const;

/**
 * The future-dated execution alert (message code 0x00CD): one per executed component of a future-dated command,
 * naming the command's message code and originator counter and the component's cluster and ZCL command.
 */
export function futureDatedAlert(o: {
  timestamp: Time;
  messageCode: number;
  originatorCounter: bigint;
  component: Pick<GbzComponent, 'clusterId' | 'header'>;
  actioned?: boolean;
}): GbzMessage {
  return gbzAlert(o.actioned === false ? ALERT.FUTURE_DATED_NOT_ACTIONED : ALERT.FUTURE_DATED_ACTIONED, o.timestamp, {
    type: 'future-dated',
    componentCount: 1,
    messageCode: o.messageCode,
    originatorCounter: o.originatorCounter,
    clusterId: o.component.clusterId,
    frameControl: o.component.header.frameControl,
    commandId: o.component.header.commandId,
  });
}

/** The GSME firmware distribution receipt alert (message code 0x00CF) with the hash the meter calculated. */
export function firmwareDistributionReceiptAlert(o: { timestamp: Time; manufacturerHash: Uint8Array; alertCode?: number }): GbzMessage {
  return gbzAlert(o.alertCode ?? ALERT.FIRMWARE_VERIFICATION_SUCCESSFUL, o.timestamp, {
    type: 'firmware-distribution-receipt',
    componentCount: 1,
    manufacturerHash: o.manufacturerHash,
  });
}
