/**
 * Price cluster (0x0700), ZigBee Smart Energy 1.4 annex D.4. Server = the ESI (the Comms Hub in GB), client = IHD,
 * PPMID, meters. Repeated sub-payloads (price matrix, block thresholds, tier labels) are carried as raw bytes.
 */
import { Zcl } from 'zigbee-herdsman';
import type { Cluster } from 'zigbee-herdsman/dist/zspec/zcl/definition/tstype.js';
import { attributeTable, commandTable, field, optionalField, restOfFrame, type AttributeRow } from './cluster-builder.ts';

const { DataType } = Zcl;

function tierLabels(): AttributeRow[] {
  const rows: AttributeRow[] = [];
  for (let tier = 1; tier <= 48; tier++) rows.push([tier - 1, `tier${tier}PriceLabel`, DataType.OCTET_STR]);
  return rows;
}

function blockThresholds(): AttributeRow[] {
  const rows: AttributeRow[] = [];
  for (let block = 1; block <= 15; block++) rows.push([0x0100 + block - 1, `block${block}Threshold`, DataType.UINT48]);
  rows.push([0x010f, 'blockThresholdCount', DataType.UINT8]);
  return rows;
}

/** NoTierBlockNPrice at 0x0400 + N-1; TierTBlockNPrice at 0x0400 + 0x10*T + N-1 (T = 1..15, N = 1..16). */
function blockPrices(): AttributeRow[] {
  const rows: AttributeRow[] = [];
  for (let tier = 0; tier <= 15; tier++) {
    for (let block = 1; block <= 16; block++) {
      const name = tier === 0 ? `noTierBlock${block}Price` : `tier${tier}Block${block}Price`;
      rows.push([0x0400 + 0x10 * tier + block - 1, name, DataType.UINT32]);
    }
  }
  return rows;
}

const attributes = attributeTable([
  ...tierLabels(),
  ...blockThresholds(),
  [0x0200, 'startOfBlockPeriod', DataType.UTC],
  [0x0201, 'blockPeriodDuration', DataType.UINT24],
  [0x0202, 'thresholdMultiplier', DataType.UINT24],
  [0x0203, 'thresholdDivisor', DataType.UINT24],
  [0x0204, 'blockPeriodDurationType', DataType.BITMAP8],
  [0x0300, 'commodityType', DataType.ENUM8],
  [0x0301, 'standingCharge', DataType.UINT32],
  [0x0302, 'conversionFactor', DataType.UINT32],
  [0x0303, 'conversionFactorTrailingDigit', DataType.BITMAP8],
  [0x0304, 'calorificValue', DataType.UINT32],
  [0x0305, 'calorificValueUnit', DataType.ENUM8],
  [0x0306, 'calorificValueTrailingDigit', DataType.BITMAP8],
  ...blockPrices(),
  [0x0610, 'tariffLabel', DataType.OCTET_STR],
  [0x0611, 'numberOfPriceTiersInUse', DataType.UINT8],
  [0x0612, 'numberOfBlockThresholdsInUse', DataType.UINT8],
  [0x0613, 'tierBlockMode', DataType.UINT8],
  [0x0615, 'unitOfMeasure', DataType.ENUM8],
  [0x0616, 'currency', DataType.UINT16],
  [0x0617, 'priceTrailingDigit', DataType.BITMAP8],
  [0x0619, 'tariffResolutionPeriod', DataType.ENUM8],
  [0x0620, 'co2', DataType.UINT32],
  [0x0621, 'co2Unit', DataType.ENUM8],
  [0x0622, 'co2TrailingDigit', DataType.BITMAP8],
  [0x0700, 'currentBillingPeriodStart', DataType.UTC],
  [0x0701, 'currentBillingPeriodDuration', DataType.UINT24],
  [0x0702, 'lastBillingPeriodStart', DataType.UTC],
  [0x0703, 'lastBillingPeriodDuration', DataType.UINT24],
  [0x0704, 'lastBillingPeriodConsolidatedBill', DataType.UINT32],
]);

const byStartTimeAndIssuer = [
  field('earliestStartTime', DataType.UTC),
  field('minIssuerEventId', DataType.UINT32),
  field('numberOfCommands', DataType.UINT8),
];

/** Client → server. */
const commands = commandTable([
  [0x00, 'getCurrentPrice', [field('commandOptions', DataType.BITMAP8)]],
  [0x01, 'getScheduledPrices', [field('startTime', DataType.UTC), field('numberOfEvents', DataType.UINT8)]],
  [
    0x02,
    'priceAcknowledgement',
    [
      field('providerId', DataType.UINT32),
      field('issuerEventId', DataType.UINT32),
      field('priceAckTime', DataType.UTC),
      field('control', DataType.BITMAP8),
    ],
  ],
  [
    0x03,
    'getBlockPeriods',
    [field('startTime', DataType.UTC), field('numberOfEvents', DataType.UINT8), optionalField('tariffType', DataType.BITMAP8, 1)],
  ],
  [0x04, 'getConversionFactor', byStartTimeAndIssuer],
  [0x05, 'getCalorificValue', byStartTimeAndIssuer],
  [0x06, 'getTariffInformation', [...byStartTimeAndIssuer, field('tariffType', DataType.BITMAP8)]],
  [0x07, 'getPriceMatrix', [field('issuerTariffId', DataType.UINT32)]],
  [0x08, 'getBlockThresholds', [field('issuerTariffId', DataType.UINT32)]],
  [0x09, 'getCO2Value', [...byStartTimeAndIssuer, optionalField('tariffType', DataType.BITMAP8, 1)]],
  [0x0a, 'getTierLabels', [field('issuerTariffId', DataType.UINT32)]],
  [0x0b, 'getBillingPeriod', [...byStartTimeAndIssuer, optionalField('tariffType', DataType.BITMAP8, 1)]],
  [0x0c, 'getConsolidatedBill', [...byStartTimeAndIssuer, optionalField('tariffType', DataType.BITMAP8, 1)]],
]);

const providerAndEvent = [field('providerId', DataType.UINT32), field('issuerEventId', DataType.UINT32)];

const tariffCommandHeader = [
  ...providerAndEvent,
  field('startTime', DataType.UTC),
  field('issuerTariffId', DataType.UINT32),
  field('commandIndex', DataType.UINT8),
  field('totalNumberOfCommands', DataType.UINT8),
  field('subPayloadControl', DataType.BITMAP8),
];

const billingPeriod = [
  ...providerAndEvent,
  field('billingPeriodStartTime', DataType.UTC),
  field('billingPeriodDuration', DataType.UINT24),
  field('billingPeriodDurationType', DataType.BITMAP8),
  field('tariffType', DataType.BITMAP8),
];

/** Server → client. PublishPrice fields after `price` were added in SE 1.1 and later, so they are optional. */
const commandsResponse = commandTable([
  [
    0x00,
    'publishPrice',
    [
      field('providerId', DataType.UINT32),
      field('rateLabel', DataType.OCTET_STR),
      field('issuerEventId', DataType.UINT32),
      field('currentTime', DataType.UTC),
      field('unitOfMeasure', DataType.ENUM8),
      field('currency', DataType.UINT16),
      field('priceTrailingDigitAndPriceTier', DataType.BITMAP8),
      field('numberOfPriceTiersAndRegisterTier', DataType.BITMAP8),
      field('startTime', DataType.UTC),
      field('durationInMinutes', DataType.UINT16),
      field('price', DataType.UINT32),
      optionalField('priceRatio', DataType.UINT8, 1),
      optionalField('generationPrice', DataType.UINT32, 4),
      optionalField('generationPriceRatio', DataType.UINT8, 1),
      optionalField('alternateCostDelivered', DataType.UINT32, 4),
      optionalField('alternateCostUnit', DataType.ENUM8, 1),
      optionalField('alternateCostTrailingDigit', DataType.BITMAP8, 1),
      optionalField('numberOfBlockThresholds', DataType.UINT8, 1),
      optionalField('priceControl', DataType.BITMAP8, 1),
      optionalField('numberOfGenerationTiers', DataType.UINT8, 1),
      optionalField('generationTier', DataType.ENUM8, 1),
      optionalField('extendedNumberOfPriceTiers', DataType.UINT8, 1),
      optionalField('extendedPriceTier', DataType.UINT8, 1),
      optionalField('extendedRegisterTier', DataType.ENUM8, 1),
    ],
  ],
  [
    0x01,
    'publishBlockPeriod',
    [
      ...providerAndEvent,
      field('blockPeriodStartTime', DataType.UTC),
      field('blockPeriodDuration', DataType.UINT24),
      field('blockPeriodControl', DataType.BITMAP8),
      field('blockPeriodDurationType', DataType.BITMAP8),
      field('tariffType', DataType.BITMAP8),
      field('tariffResolutionPeriod', DataType.ENUM8),
    ],
  ],
  [
    0x02,
    'publishConversionFactor',
    [
      field('issuerEventId', DataType.UINT32),
      field('startTime', DataType.UTC),
      field('conversionFactor', DataType.UINT32),
      field('conversionFactorTrailingDigit', DataType.BITMAP8),
    ],
  ],
  [
    0x03,
    'publishCalorificValue',
    [
      field('issuerEventId', DataType.UINT32),
      field('startTime', DataType.UTC),
      field('calorificValue', DataType.UINT32),
      field('calorificValueUnit', DataType.ENUM8),
      field('calorificValueTrailingDigit', DataType.BITMAP8),
    ],
  ],
  [
    0x04,
    'publishTariffInformation',
    [
      ...providerAndEvent,
      field('issuerTariffId', DataType.UINT32),
      field('startTime', DataType.UTC),
      field('tariffTypeChargingScheme', DataType.BITMAP8),
      field('tariffLabel', DataType.OCTET_STR),
      field('numberOfPriceTiersInUse', DataType.UINT8),
      field('numberOfBlockThresholdsInUse', DataType.UINT8),
      field('unitOfMeasure', DataType.ENUM8),
      field('currency', DataType.UINT16),
      field('priceTrailingDigit', DataType.BITMAP8),
      field('standingCharge', DataType.UINT32),
      field('tierBlockMode', DataType.UINT8),
      field('blockThresholdMultiplier', DataType.UINT24),
      field('blockThresholdDivisor', DataType.UINT24),
    ],
  ],
  [0x05, 'publishPriceMatrix', [...tariffCommandHeader, restOfFrame('priceMatrixSubPayload')]],
  [0x06, 'publishBlockThresholds', [...tariffCommandHeader, restOfFrame('blockThresholdSubPayload')]],
  [
    0x07,
    'publishCO2Value',
    [
      ...providerAndEvent,
      field('startTime', DataType.UTC),
      field('tariffType', DataType.BITMAP8),
      field('co2Value', DataType.UINT32),
      field('co2ValueUnit', DataType.ENUM8),
      field('co2ValueTrailingDigit', DataType.BITMAP8),
    ],
  ],
  [
    0x08,
    'publishTierLabels',
    [
      ...providerAndEvent,
      field('issuerTariffId', DataType.UINT32),
      field('commandIndex', DataType.UINT8),
      field('totalNumberOfCommands', DataType.UINT8),
      field('numberOfLabels', DataType.UINT8),
      restOfFrame('tierLabelsPayload'),
    ],
  ],
  [0x09, 'publishBillingPeriod', billingPeriod],
  [
    0x0a,
    'publishConsolidatedBill',
    [
      ...billingPeriod,
      field('consolidatedBill', DataType.UINT32),
      field('currency', DataType.UINT16),
      field('billTrailingDigit', DataType.BITMAP8),
    ],
  ],
  [
    0x0d,
    'publishCurrencyConversion',
    [
      ...providerAndEvent,
      field('startTime', DataType.UTC),
      field('oldCurrency', DataType.UINT16),
      field('newCurrency', DataType.UINT16),
      field('conversionFactor', DataType.UINT32),
      field('conversionFactorTrailingDigit', DataType.BITMAP8),
      field('currencyChangeControlFlags', DataType.BITMAP32),
    ],
  ],
  [
    0x0e,
    'cancelTariff',
    [field('providerId', DataType.UINT32), field('issuerTariffId', DataType.UINT32), field('tariffType', DataType.BITMAP8)],
  ],
]);

export const priceCluster: Cluster = { ID: 0x0700, name: 'sePrice', attributes, commands, commandsResponse };
