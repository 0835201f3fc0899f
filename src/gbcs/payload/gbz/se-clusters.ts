import type { ClusterSpec } from './clusters.ts';
import type { ParamSpec, Scope } from './layout.ts';
import { T } from './zcl-types.ts';

/**
 * The Smart Energy clusters GBCS carries in GBZ, which zigbee-herdsman lacks (it defines Basic and Metering):
 * attribute names, command names and the parameter layouts of the commands the GBCS use cases send.
 */

/** The clusters GBCS use cases address, by id. */
export const CLUSTER = {
  BASIC: 0x0000,
  PRICE: 0x0700,
  METERING: 0x0702,
  MESSAGING: 0x0703,
  PREPAYMENT: 0x0705,
  CALENDAR: 0x0707,
  DEVICE_MANAGEMENT: 0x0708,
  EVENTS: 0x0709,
} as const;

const u8 = (name: string) => ({ name, type: T.UINT8 });
const u16 = (name: string) => ({ name, type: T.UINT16 });
const u24 = (name: string) => ({ name, type: T.UINT24 });
const u32 = (name: string) => ({ name, type: T.UINT32 });
const u48 = (name: string) => ({ name, type: T.UINT48 });
const i32 = (name: string) => ({ name, type: T.INT32 });
const enum8 = (name: string) => ({ name, type: T.ENUM8 });
const bitmap8 = (name: string) => ({ name, type: T.BITMAP8 });
const bitmap16 = (name: string) => ({ name, type: T.BITMAP16 });
const bitmap32 = (name: string) => ({ name, type: T.BITMAP32 });
const utc = (name: string) => ({ name, type: T.UTC });
const text = (name: string) => ({ name, type: T.CHAR_STR });
const octets = (name: string) => ({ name, type: T.OCTET_STR });
const date = (name: string) => ({ name, type: T.DATE });
const rest = (name: string, params: ParamSpec[]): ParamSpec => ({ name, repeat: 'rest', params });
const times = (name: string, count: (scope: Scope) => number, params: ParamSpec[]): ParamSpec => ({ name, repeat: count, params });
const field = (scope: Scope, name: string) => Number(scope[name] ?? 0);

const providerEventHeader = [u32('providerId'), u32('issuerEventId')];
const calendarHeader = [u32('providerId'), u32('issuerEventId'), u32('issuerCalendarId')];

// ---------------------------------------------------------------- Price

function priceAttributes(): Record<number, string> {
  const a: Record<number, string> = {};
  for (let n = 0; n < 15; n++) a[0x0100 + n] = `block${n + 1}Threshold`;
  for (let tier = 0; tier < 16; tier++) {
    for (let block = 0; block < 16; block++) {
      a[0x0400 + tier * 16 + block] = tier === 0 ? `noTierBlock${block + 1}Price` : `tier${tier}Block${block + 1}Price`;
    }
  }
  Object.assign(a, {
    0x0200: 'startOfBlockPeriod',
    0x0201: 'blockPeriodDuration',
    0x0202: 'thresholdMultiplier',
    0x0203: 'thresholdDivisor',
    0x0204: 'blockPeriodDurationType',
    0x0300: 'commodityType',
    0x0301: 'standingCharge',
    0x0302: 'conversionFactor',
    0x0303: 'conversionFactorTrailingDigit',
    0x0304: 'calorificValue',
    0x0305: 'calorificValueUnit',
    0x0306: 'calorificValueTrailingDigit',
    0x0610: 'tariffLabel',
    0x0611: 'numberOfPriceTiersInUse',
    0x0612: 'numberOfBlockThresholdsInUse',
    0x0613: 'tierBlockMode',
    0x0615: 'unitOfMeasure',
    0x0616: 'currency',
    0x0617: 'priceTrailingDigit',
    0x0619: 'tariffResolutionPeriod',
  });
  return a;
}

const price: ClusterSpec = {
  name: 'sePrice',
  attributes: priceAttributes(),
  clientToServer: {
    0x00: { name: 'getCurrentPrice', params: [bitmap8('commandOptions')] },
    0x0b: { name: 'getBillingPeriod', params: [utc('earliestStartTime'), u32('minIssuerEventId'), u8('numberOfCommands'), bitmap8('tariffType')] },
  },
  serverToClient: {
    0x00: {
      name: 'publishPrice',
      params: [
        u32('providerId'), text('rateLabel'), u32('issuerEventId'), utc('currentTime'), enum8('unitOfMeasure'), u16('currency'),
        bitmap8('priceTrailingDigitAndPriceTier'), bitmap8('numberOfPriceTiersAndRegisterTier'), utc('startTime'),
        u16('durationInMinutes'), u32('price'),
      ],
    },
    0x01: {
      name: 'publishBlockPeriod',
      params: [
        ...providerEventHeader, utc('blockPeriodStartTime'), u24('blockPeriodDuration'), bitmap8('blockPeriodControl'),
        bitmap8('blockPeriodDurationType'), bitmap8('tariffType'), enum8('tariffResolutionPeriod'),
      ],
    },
    0x02: { name: 'publishConversionFactor', params: [u32('issuerEventId'), utc('startTime'), u32('conversionFactor'), bitmap8('conversionFactorTrailingDigit')] },
    0x03: {
      name: 'publishCalorificValue',
      params: [u32('issuerEventId'), utc('startTime'), u32('calorificValue'), enum8('calorificValueUnit'), bitmap8('calorificValueTrailingDigit')],
    },
    0x04: {
      name: 'publishTariffInformation',
      params: [
        ...providerEventHeader, u32('issuerTariffId'), utc('startTime'), bitmap8('tariffTypeChargingScheme'), text('tariffLabel'),
        u8('numberOfPriceTiersInUse'), u8('numberOfBlockThresholdsInUse'), enum8('unitOfMeasure'), u16('currency'),
        bitmap8('priceTrailingDigit'), u32('standingCharge'), u8('tierBlockMode'), u24('blockThresholdMultiplier'),
        u24('blockThresholdDivisor'),
      ],
    },
    0x05: {
      name: 'publishPriceMatrix',
      params: [
        ...providerEventHeader, utc('startTime'), u32('issuerTariffId'), u8('commandIndex'), u8('totalNumberOfCommands'),
        bitmap8('subPayloadControl'), rest('tierBlockPrices', [u8('tierBlockId'), u32('price')]),
      ],
    },
    0x06: {
      name: 'publishBlockThresholds',
      params: [
        ...providerEventHeader, utc('startTime'), u32('issuerTariffId'), u8('commandIndex'), u8('totalNumberOfCommands'),
        bitmap8('subPayloadControl'),
        rest('tiers', [
          bitmap8('tierNumberOfBlockThresholds'),
          times('blockThresholds', (s) => field(s, 'tierNumberOfBlockThresholds') & 0x0f, [u48('blockThreshold')]),
        ]),
      ],
    },
    0x09: {
      name: 'publishBillingPeriod',
      params: [...providerEventHeader, utc('billingPeriodStartTime'), u24('billingPeriodDuration'), bitmap8('billingPeriodDurationType'), bitmap8('tariffType')],
    },
  },
};

// ---------------------------------------------------------------- Metering

/** Metering attributes GBCS reads that zigbee-herdsman does not name. */
const meteringAttributes: Record<number, string> = {
  0x0700: 'currentNoTierBlock1SummationDelivered',
  0x0701: 'currentNoTierBlock2SummationDelivered',
  0x0702: 'currentNoTierBlock3SummationDelivered',
  0x0703: 'currentNoTierBlock4SummationDelivered',
  0x0b10: 'uncontrolledFlowThreshold',
  0x0b11: 'uncontrolledFlowThresholdUnitOfMeasure',
  0x0b12: 'uncontrolledFlowMultiplier',
  0x0b13: 'uncontrolledFlowDivisor',
  0x0b14: 'flowStabilisationPeriod',
  0x0b15: 'flowMeasurementPeriod',
};

const snapshotHeader = [
  u32('snapshotId'), utc('snapshotTime'), u8('totalSnapshotsFound'), u8('commandIndex'), u8('totalNumberOfCommands'),
  bitmap32('snapshotCause'), enum8('snapshotPayloadType'),
];

/** Tier count in the high nibble, block threshold count in the low nibble; one block register per tier and block. */
const blockRegisterCount = (s: Scope) => {
  const v = field(s, 'numberOfTiersAndBlockThresholdsInUse');
  return Math.max(v >> 4, 1) * (v & 0x0f);
};

const metering: ClusterSpec = {
  name: 'seMetering',
  attributes: meteringAttributes,
  clientToServer: {
    0x06: { name: 'getSnapshot', params: [utc('earliestStartTime'), utc('latestEndTime'), u8('snapshotOffset'), bitmap32('snapshotCause')] },
    0x07: {
      name: 'startSampling',
      params: [u32('issuerEventId'), utc('startSamplingTime'), enum8('sampleType'), u16('sampleRequestInterval'), u16('maxNumberOfSamples')],
    },
    0x08: { name: 'getSampledData', params: [u16('sampleId'), utc('earliestSampleTime'), enum8('sampleType'), u16('numberOfSamples')] },
    0x0b: {
      name: 'changeSupply',
      params: [...providerEventHeader, utc('requestDateTime'), utc('implementationDateTime'), enum8('proposedSupplyStatus'), bitmap8('supplyControlBits')],
    },
    0x0d: {
      name: 'setSupplyStatus',
      params: [u32('issuerEventId'), enum8('supplyTamperState'), enum8('supplyDepletionState'), enum8('supplyUncontrolledFlowState'), enum8('loadLimitSupplyState')],
    },
    0x0e: {
      name: 'setUncontrolledFlowThreshold',
      params: [
        ...providerEventHeader, u16('uncontrolledFlowThreshold'), enum8('unitOfMeasure'), u16('multiplier'), u16('divisor'),
        u8('stabilisationPeriod'), u16('measurementPeriod'),
      ],
    },
  },
  serverToClient: {
    0x06: {
      name: 'publishSnapshot',
      params: [
        ...snapshotHeader,
        {
          switchOn: 'snapshotPayloadType',
          cases: {
            // Block tier information set, delivered (no billing): what a GSME reports.
            6: [
              u48('currentSummationDelivered'),
              u8('numberOfTiersInUse'),
              times('tierSummations', (s) => field(s, 'numberOfTiersInUse'), [u48('summationDelivered')]),
              bitmap8('numberOfTiersAndBlockThresholdsInUse'),
              times('blockSummations', blockRegisterCount, [u48('summationDelivered')]),
            ],
          },
        },
      ],
    },
    0x07: {
      name: 'getSampledDataResponse',
      params: [
        u16('sampleId'), utc('sampleStartTime'), enum8('sampleType'), u16('sampleRequestInterval'), u16('numberOfSamples'),
        times('samples', (s) => field(s, 'numberOfSamples'), [u24('sample')]),
      ],
    },
    0x0c: { name: 'supplyStatusResponse', params: [...providerEventHeader, utc('implementationDateTime'), enum8('supplyStatusAfterImplementation')] },
    0x0d: { name: 'startSamplingResponse', params: [u16('sampleId')] },
  },
};

// ---------------------------------------------------------------- Messaging

const messaging: ClusterSpec = {
  name: 'seMessaging',
  attributes: {},
  clientToServer: {
    0x00: { name: 'getLastMessage', params: [] },
    0x01: { name: 'messageConfirmation', params: [u32('messageId'), utc('confirmationTime')] },
  },
  serverToClient: {
    0x00: {
      name: 'displayMessage',
      params: [
        u32('messageId'), bitmap8('messageControl'), utc('startTime'), u16('durationInMinutes'), text('message'),
        { name: 'extendedMessageControl', type: T.BITMAP8, optional: true },
      ],
    },
    0x01: { name: 'cancelMessage', params: [u32('messageId'), bitmap8('messageControl')] },
  },
};

// ---------------------------------------------------------------- Prepayment

function prepaymentAttributes(): Record<number, string> {
  const a: Record<number, string> = {
    0x0000: 'paymentControlConfiguration',
    0x0001: 'creditRemaining',
    0x0002: 'emergencyCreditRemaining',
    0x0003: 'creditStatus',
    0x0004: 'creditRemainingTimestamp',
    0x0005: 'accumulatedDebt',
    0x0006: 'overallDebtCap',
    0x0010: 'emergencyCreditLimitAllowance',
    0x0011: 'emergencyCreditThreshold',
    0x0020: 'totalCreditAdded',
    0x0021: 'maxCreditLimit',
    0x0022: 'maxCreditPerTopUp',
    0x0030: 'friendlyCreditWarning',
    0x0031: 'lowCreditWarningLevel',
    0x0032: 'ihdLowCreditWarningLevel',
    0x0033: 'interruptSuspendTime',
    0x0034: 'remainingFriendlyCreditTime',
    0x0035: 'nextFriendlyCreditPeriod',
    0x0040: 'cutOffValue',
    0x0080: 'tokenCarrierId',
  };
  const topUp = ['topUpDateTime', 'topUpAmount', 'originatingDevice', 'topUpCode'];
  for (let n = 0; n < 5; n++) topUp.forEach((name, i) => (a[0x0100 + n * 0x10 + i] = `${name}${n + 1}`));
  const debt = [
    'debtLabel', 'debtAmount', 'debtRecoveryMethod', 'debtRecoveryStartTime', 'debtRecoveryCollectionTime', undefined,
    'debtRecoveryFrequency', 'debtRecoveryAmount', undefined, 'debtRecoveryTopUpPercentage',
  ];
  for (let n = 0; n < 3; n++) debt.forEach((name, i) => name && (a[0x0210 + n * 0x10 + i] = `${name}${n + 1}`));
  return a;
}

const prepayment: ClusterSpec = {
  name: 'sePrepayment',
  attributes: prepaymentAttributes(),
  clientToServer: {
    0x00: { name: 'selectAvailableEmergencyCredit', params: [utc('commandIssueDateTime'), enum8('originatingDevice')] },
    0x02: {
      name: 'changeDebt',
      params: [
        u32('issuerEventId'), text('debtLabel'), i32('debtAmount'), enum8('debtRecoveryMethod'), enum8('debtAmountType'),
        utc('debtRecoveryStartTime'), u16('debtRecoveryCollectionTime'), enum8('debtRecoveryFrequency'), i32('debtRecoveryAmount'),
        u16('debtRecoveryBalancePercentage'),
      ],
    },
    0x03: { name: 'emergencyCreditSetup', params: [u32('issuerEventId'), utc('startTime'), u32('emergencyCreditLimit'), u32('emergencyCreditThreshold')] },
    0x04: { name: 'consumerTopUp', params: [enum8('originatingDevice'), text('topUpCode')] },
    0x05: { name: 'creditAdjustment', params: [u32('issuerEventId'), utc('startTime'), enum8('creditAdjustmentType'), i32('creditAdjustmentValue')] },
    0x06: {
      name: 'changePaymentMode',
      params: [...providerEventHeader, utc('implementationDateTime'), bitmap16('proposedPaymentControlConfiguration'), i32('cutOffValue')],
    },
    0x07: { name: 'getPrepaySnapshot', params: [utc('earliestStartTime'), utc('latestEndTime'), u8('snapshotOffset'), bitmap32('snapshotCause')] },
    0x08: { name: 'getTopUpLog', params: [utc('latestEndTime'), u8('numberOfRecords')] },
    0x09: { name: 'setLowCreditWarningLevel', params: [u32('lowCreditWarningLevel')] },
    0x0a: { name: 'getDebtRepaymentLog', params: [utc('latestEndTime'), u8('numberOfDebts'), enum8('debtType')] },
    0x0b: { name: 'setMaximumCreditLimit', params: [...providerEventHeader, utc('implementationDateTime'), u32('maximumCreditLevel'), u32('maximumCreditPerTopUp')] },
    0x0c: { name: 'setOverallDebtCap', params: [...providerEventHeader, utc('implementationDateTime'), i32('overallDebtCap')] },
  },
  serverToClient: {
    0x01: {
      name: 'publishPrepaySnapshot',
      params: [
        ...snapshotHeader,
        {
          switchOn: 'snapshotPayloadType',
          cases: {
            // Debt and credit status.
            0: [
              i32('accumulatedDebt'), u32('type1DebtRemaining'), u32('type2DebtRemaining'), u32('type3DebtRemaining'),
              i32('emergencyCreditRemaining'), i32('creditRemaining'),
            ],
          },
        },
      ],
    },
    0x02: {
      name: 'changePaymentModeResponse',
      params: [bitmap8('friendlyCredit'), u32('friendlyCreditCalendarId'), u32('emergencyCreditLimit'), u32('emergencyCreditThreshold')],
    },
    0x03: { name: 'consumerTopUpResponse', params: [enum8('resultType'), i32('topUpValue'), enum8('sourceOfTopUp'), i32('creditRemaining')] },
    0x05: {
      name: 'publishTopUpLog',
      params: [u8('commandIndex'), u8('totalNumberOfCommands'), rest('topUps', [text('topUpCode'), i32('topUpAmount'), utc('topUpTime')])],
    },
    0x06: {
      name: 'publishDebtLog',
      params: [
        u8('commandIndex'), u8('totalNumberOfCommands'),
        rest('debts', [utc('collectionTime'), u32('amountCollected'), enum8('debtType'), u32('outstandingDebt')]),
      ],
    },
  },
};

// ---------------------------------------------------------------- Calendar

const calendar: ClusterSpec = {
  name: 'seCalendar',
  attributes: {},
  clientToServer: {
    0x00: { name: 'getCalendar', params: [utc('earliestStartTime'), u32('minIssuerEventId'), u8('numberOfCalendars'), enum8('calendarType'), u32('providerId')] },
    0x01: { name: 'getDayProfiles', params: [u32('providerId'), u32('issuerCalendarId'), u8('startDayId'), u8('numberOfDays')] },
    0x02: { name: 'getWeekProfiles', params: [u32('providerId'), u32('issuerCalendarId'), u8('startWeekId'), u8('numberOfWeeks')] },
    0x03: { name: 'getSeasons', params: [u32('providerId'), u32('issuerCalendarId')] },
    0x04: { name: 'getSpecialDays', params: [utc('startTime'), u8('numberOfEvents'), enum8('calendarType'), u32('providerId'), u32('issuerCalendarId')] },
  },
  serverToClient: {
    0x00: {
      name: 'publishCalendar',
      params: [
        ...calendarHeader, utc('startTime'), enum8('calendarType'), enum8('calendarTimeReference'), text('calendarName'),
        u8('numberOfSeasons'), u8('numberOfWeekProfiles'), u8('numberOfDayProfiles'),
      ],
    },
    0x01: {
      name: 'publishDayProfile',
      params: [
        ...calendarHeader, u8('dayId'), u8('totalNumberOfScheduleEntries'), u8('commandIndex'), u8('totalNumberOfCommands'),
        enum8('calendarType'),
        {
          switchOn: 'calendarType',
          cases: {
            0: [rest('scheduleEntries', [u16('startTime'), u8('priceTier')])],
            1: [rest('scheduleEntries', [u16('startTime'), u8('priceTier')])],
            2: [rest('scheduleEntries', [u16('startTime'), u8('priceTier')])],
            3: [rest('scheduleEntries', [u16('startTime'), u8('friendlyCreditEnable')])],
            4: [rest('scheduleEntries', [u16('startTime'), bitmap8('auxiliaryLoadSwitchState')])],
          },
        },
      ],
    },
    0x02: {
      name: 'publishWeekProfile',
      params: [
        ...calendarHeader, u8('weekId'),
        ...['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'].map((d) => u8(`dayIdRef${d}`)),
      ],
    },
    0x03: {
      name: 'publishSeasons',
      params: [...calendarHeader, u8('commandIndex'), u8('totalNumberOfCommands'), rest('seasons', [date('seasonStartDate'), u8('weekIdRef')])],
    },
    0x04: {
      name: 'publishSpecialDays',
      params: [
        ...calendarHeader, utc('startTime'), enum8('calendarType'), u8('totalNumberOfSpecialDays'), u8('commandIndex'),
        u8('totalNumberOfCommands'), rest('specialDays', [date('specialDayDate'), u8('dayIdRef')]),
      ],
    },
  },
};

// ---------------------------------------------------------------- Device Management

const deviceManagement: ClusterSpec = {
  name: 'seDeviceManagement',
  attributes: {},
  clientToServer: {
    0x00: { name: 'getChangeOfTenancy', params: [] },
    0x01: { name: 'getChangeOfSupplier', params: [] },
    0x02: { name: 'requestNewPassword', params: [enum8('passwordType')] },
    0x03: { name: 'getSiteId', params: [] },
    0x04: { name: 'reportEventConfiguration', params: [u8('commandIndex'), u8('totalCommands'), rest('events', [u16('eventId'), bitmap8('eventConfiguration')])] },
    0x05: { name: 'getCin', params: [] },
  },
  serverToClient: {
    0x00: {
      name: 'publishChangeOfTenancy',
      params: [...providerEventHeader, bitmap8('tariffType'), utc('implementationDateTime'), bitmap32('proposedTenancyChangeControl')],
    },
    0x01: {
      name: 'publishChangeOfSupplier',
      params: [
        u32('currentProviderId'), u32('issuerEventId'), bitmap8('tariffType'), u32('proposedProviderId'),
        utc('providerChangeImplementationTime'), bitmap32('providerChangeControl'), text('proposedProviderName'),
        text('proposedProviderContactDetails'),
      ],
    },
    0x02: { name: 'requestNewPasswordResponse', params: [u32('issuerEventId'), utc('implementationDateTime'), u16('durationInMinutes'), enum8('passwordType'), text('password')] },
    0x03: { name: 'updateSiteId', params: [u32('issuerEventId'), utc('siteIdTime'), u32('providerId'), text('siteId')] },
    0x04: {
      name: 'setEventConfiguration',
      params: [
        u32('issuerEventId'), utc('startDateTime'), bitmap8('eventConfiguration'), enum8('configurationControl'),
        {
          switchOn: 'configurationControl',
          cases: {
            0: [u8('numberOfEvents'), times('eventIds', (s) => field(s, 'numberOfEvents'), [u16('eventId')])],
            1: [u16('eventGroupId')],
            2: [enum8('logId')],
            3: [bitmap8('configurationValueMatch')],
          },
        },
      ],
    },
    0x05: { name: 'getEventConfiguration', params: [u16('eventId')] },
    0x06: { name: 'updateCin', params: [u32('issuerEventId'), utc('cinImplementationTime'), u32('providerId'), text('customerIdNumber')] },
  },
};

// ---------------------------------------------------------------- Events

const events: ClusterSpec = {
  name: 'seEvents',
  attributes: {},
  clientToServer: {
    0x00: {
      name: 'getEventLog',
      params: [bitmap8('eventControlLogId'), u16('eventId'), utc('startTime'), utc('endTime'), u8('numberOfEvents'), u16('eventOffset')],
    },
    0x01: { name: 'clearEventLogRequest', params: [bitmap8('logId')] },
  },
  serverToClient: {
    0x00: { name: 'publishEvent', params: [enum8('logId'), u16('eventId'), utc('eventTime'), bitmap8('eventControl'), octets('eventData')] },
    0x01: {
      name: 'publishEventLog',
      params: [
        u16('totalNumberOfEvents'), u8('commandIndex'), u8('totalCommands'), bitmap8('logPayloadControl'),
        rest('events', [enum8('logId'), u16('eventId'), utc('eventTime'), octets('eventData')]),
      ],
    },
    0x02: { name: 'clearEventLogResponse', params: [bitmap8('clearedEventsLogs')] },
  },
};

export const SE_CLUSTERS = new Map<number, ClusterSpec>([
  [CLUSTER.PRICE, price],
  [CLUSTER.METERING, metering],
  [CLUSTER.MESSAGING, messaging],
  [CLUSTER.PREPAYMENT, prepayment],
  [CLUSTER.CALENDAR, calendar],
  [CLUSTER.DEVICE_MANAGEMENT, deviceManagement],
  [CLUSTER.EVENTS, events],
]);

