/**
 * Prepayment cluster (0x0705), ZigBee Smart Energy 1.4 annex D.7. Server = the meter (ESME, or GSME via the hub's
 * GPF); clients = IHD and PPMID, which read credit and send top-ups. Log and snapshot records are carried as raw bytes.
 *
 * Public sources disagree on signedness of a few 32-bit fields (ConsumerTopUpResponse, CreditAdjustment, CutOffValue):
 * we follow SE 1.4, where money amounts that can go negative are Int32 like the CreditRemaining attribute. The wire
 * bytes are the same either way.
 */
import { Zcl } from 'zigbee-herdsman';
import type { Cluster } from 'zigbee-herdsman/dist/zspec/zcl/definition/tstype.js';
import { attributeTable, commandTable, field, restOfFrame, type AttributeRow } from './cluster-builder.ts';

const { DataType } = Zcl;

/** Top-up log attribute sets #1..#5 at 0x0100 + 0x10*(n-1). */
function topUpLog(): AttributeRow[] {
  const rows: AttributeRow[] = [];
  for (let n = 1; n <= 5; n++) {
    const base = 0x0100 + 0x10 * (n - 1);
    rows.push(
      [base, `topUpDateTime${n}`, DataType.UTC],
      [base + 1, `topUpAmount${n}`, DataType.INT32],
      [base + 2, `originatingDevice${n}`, DataType.ENUM8],
      [base + 3, `topUpCode${n}`, DataType.OCTET_STR],
    );
  }
  return rows;
}

/** Debt attribute sets #1..#3 at 0x0210 + 0x10*(n-1); offsets 5 and 8 are reserved. */
function debts(): AttributeRow[] {
  const rows: AttributeRow[] = [];
  for (let n = 1; n <= 3; n++) {
    const base = 0x0200 + 0x10 * n;
    rows.push(
      [base, `debtLabel${n}`, DataType.OCTET_STR],
      [base + 1, `debtAmount${n}`, DataType.UINT32],
      [base + 2, `debtRecoveryMethod${n}`, DataType.ENUM8],
      [base + 3, `debtRecoveryStartTime${n}`, DataType.UTC],
      [base + 4, `debtRecoveryCollectionTime${n}`, DataType.UINT16],
      [base + 6, `debtRecoveryFrequency${n}`, DataType.ENUM8],
      [base + 7, `debtRecoveryAmount${n}`, DataType.UINT32],
      [base + 9, `debtRecoveryTopUpPercentage${n}`, DataType.UINT16],
    );
  }
  return rows;
}

/** Historical cost consumption: delivered/received pairs for the current and previous days, weeks and months. */
function costConsumption(): AttributeRow[] {
  const rows: AttributeRow[] = [];
  const periods = [
    { unit: 'Day', base: 0x051c, previous: 8 },
    { unit: 'Week', base: 0x0530, previous: 5 },
    { unit: 'Month', base: 0x0540, previous: 13 },
  ];
  for (const { unit, base, previous } of periods) {
    for (let back = 0; back <= previous; back++) {
      const label = back === 0 ? `current${unit}` : back === 1 ? `previous${unit}` : `previous${unit}${back}`;
      rows.push(
        [base + 2 * back, `${label}CostConsumptionDelivered`, DataType.UINT48],
        [base + 2 * back + 1, `${label}CostConsumptionReceived`, DataType.UINT48],
      );
    }
  }
  return rows;
}

const attributes = attributeTable([
  [0x0000, 'paymentControlConfiguration', DataType.BITMAP16],
  [0x0001, 'creditRemaining', DataType.INT32],
  [0x0002, 'emergencyCreditRemaining', DataType.INT32],
  [0x0003, 'creditStatus', DataType.BITMAP8],
  [0x0004, 'creditRemainingTimestamp', DataType.UTC],
  [0x0005, 'accumulatedDebt', DataType.INT32],
  [0x0006, 'overallDebtCap', DataType.INT32],
  [0x0010, 'emergencyCreditLimitAllowance', DataType.UINT32],
  [0x0011, 'emergencyCreditThreshold', DataType.UINT32],
  [0x0020, 'totalCreditAdded', DataType.UINT48],
  [0x0021, 'maxCreditLimit', DataType.UINT32],
  [0x0022, 'maxCreditPerTopUp', DataType.UINT32],
  [0x0030, 'friendlyCreditWarning', DataType.UINT8],
  [0x0031, 'lowCreditWarningLevel', DataType.UINT32],
  [0x0032, 'ihdLowCreditWarningLevel', DataType.UINT32],
  [0x0033, 'interruptSuspendTime', DataType.UINT8],
  [0x0034, 'remainingFriendlyCreditTime', DataType.UINT16],
  [0x0035, 'nextFriendlyCreditPeriod', DataType.UTC],
  [0x0040, 'cutOffValue', DataType.INT32],
  [0x0080, 'tokenCarrierId', DataType.OCTET_STR],
  ...topUpLog(),
  ...debts(),
  [0x0400, 'prepaymentAlarmStatus', DataType.BITMAP16],
  [0x0401, 'prepayGenericAlarmMask', DataType.BITMAP16],
  [0x0402, 'prepaySwitchAlarmMask', DataType.BITMAP16],
  [0x0403, 'prepayEventAlarmMask', DataType.BITMAP16],
  [0x0500, 'historicalCostConsumptionFormatting', DataType.BITMAP8],
  [0x0501, 'consumptionUnitOfMeasurement', DataType.ENUM8],
  [0x0502, 'currencyScalingFactor', DataType.ENUM8],
  [0x0503, 'currency', DataType.UINT16],
  ...costConsumption(),
]);

const providerEventAndTime = [
  field('providerId', DataType.UINT32),
  field('issuerEventId', DataType.UINT32),
  field('implementationDateTime', DataType.UTC),
];

/** Client → server. 0x01 is reserved. */
const commands = commandTable([
  [
    0x00,
    'selectAvailableEmergencyCredit',
    [field('commandIssueDateTime', DataType.UTC), field('originatingDevice', DataType.ENUM8)],
  ],
  [
    0x02,
    'changeDebt',
    [
      field('issuerEventId', DataType.UINT32),
      field('debtLabel', DataType.OCTET_STR),
      field('debtAmount', DataType.UINT32),
      field('debtRecoveryMethod', DataType.ENUM8),
      field('debtAmountType', DataType.ENUM8),
      field('debtRecoveryStartTime', DataType.UTC),
      field('debtRecoveryCollectionTime', DataType.UINT16),
      field('debtRecoveryFrequency', DataType.ENUM8),
      field('debtRecoveryAmount', DataType.UINT32),
      field('debtRecoveryBalancePercentage', DataType.UINT16),
    ],
  ],
  [
    0x03,
    'emergencyCreditSetup',
    [
      field('issuerEventId', DataType.UINT32),
      field('startTime', DataType.UTC),
      field('emergencyCreditLimit', DataType.UINT32),
      field('emergencyCreditThreshold', DataType.UINT32),
    ],
  ],
  [0x04, 'consumerTopUp', [field('originatingDevice', DataType.ENUM8), field('topUpCode', DataType.OCTET_STR)]],
  [
    0x05,
    'creditAdjustment',
    [
      field('issuerEventId', DataType.UINT32),
      field('startTime', DataType.UTC),
      field('creditAdjustmentType', DataType.ENUM8),
      field('creditAdjustmentValue', DataType.INT32),
    ],
  ],
  [
    0x06,
    'changePaymentMode',
    [...providerEventAndTime, field('proposedPaymentControlConfiguration', DataType.BITMAP16), field('cutOffValue', DataType.INT32)],
  ],
  [
    0x07,
    'getPrepaySnapshot',
    [
      field('earliestStartTime', DataType.UTC),
      field('latestEndTime', DataType.UTC),
      field('snapshotOffset', DataType.UINT8),
      field('snapshotCause', DataType.BITMAP32),
    ],
  ],
  [0x08, 'getTopUpLog', [field('latestEndTime', DataType.UTC), field('numberOfRecords', DataType.UINT8)]],
  [0x09, 'setLowCreditWarningLevel', [field('lowCreditWarningLevel', DataType.UINT32)]],
  [
    0x0a,
    'getDebtRepaymentLog',
    [field('latestEndTime', DataType.UTC), field('numberOfDebts', DataType.UINT8), field('debtType', DataType.ENUM8)],
  ],
  [
    0x0b,
    'setMaximumCreditLimit',
    [...providerEventAndTime, field('maximumCreditLevel', DataType.UINT32), field('maximumCreditPerTopUp', DataType.UINT32)],
  ],
  [0x0c, 'setOverallDebtCap', [...providerEventAndTime, field('overallDebtCap', DataType.INT32)]],
]);

/** Server → client. 0x00 and 0x04 are reserved. */
const commandsResponse = commandTable([
  [
    0x01,
    'publishPrepaySnapshot',
    [
      field('snapshotId', DataType.UINT32),
      field('snapshotTime', DataType.UTC),
      field('totalSnapshotsFound', DataType.UINT8),
      field('commandIndex', DataType.UINT8),
      field('totalNumberOfCommands', DataType.UINT8),
      field('snapshotCause', DataType.BITMAP32),
      field('snapshotPayloadType', DataType.ENUM8),
      restOfFrame('snapshotPayload'),
    ],
  ],
  [
    0x02,
    'changePaymentModeResponse',
    [
      field('friendlyCredit', DataType.BITMAP8),
      field('friendlyCreditCalendarId', DataType.UINT32),
      field('emergencyCreditLimit', DataType.UINT32),
      field('emergencyCreditThreshold', DataType.UINT32),
    ],
  ],
  [
    0x03,
    'consumerTopUpResponse',
    [
      field('resultType', DataType.ENUM8),
      field('topUpValue', DataType.INT32),
      field('sourceOfTopUp', DataType.ENUM8),
      field('creditRemaining', DataType.INT32),
    ],
  ],
  [
    0x05,
    'publishTopUpLog',
    [field('commandIndex', DataType.UINT8), field('totalNumberOfCommands', DataType.UINT8), restOfFrame('topUpPayload')],
  ],
  [
    0x06,
    'publishDebtLog',
    [field('commandIndex', DataType.UINT8), field('totalNumberOfCommands', DataType.UINT8), restOfFrame('debtPayload')],
  ],
]);

export const prepaymentCluster: Cluster = { ID: 0x0705, name: 'sePrepayment', attributes, commands, commandsResponse };
