import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../src/bytes.ts';
import { KeyStore } from '../src/crypto/keystore.ts';
import { GbcsDecodeError } from '../src/gbcs/errors.ts';
import { decodeFrame, type DecodedFrame } from '../src/gbcs/frame.ts';
import {
  changePaymentModeCommand,
  changePaymentModeResponse,
  activateEmergencyCreditCommand,
  assembleComponents,
  CLUSTER,
  commandDraft,
  encodeGbzMessage,
  firmwareDistributionReceiptAlert,
  futureDatedAlert,
  gbzCodec,
  PAYMENT_CONTROL,
  readBillingDataLogCommand,
  readBillingDataLogResponse,
  readFirmwareVersionCommand,
  readFirmwareVersionResponse,
  readMeterBalanceCommand,
  readMeterBalanceResponse,
  readPaymentModeCommand,
  readPaymentModeResponse,
  readPrepaymentRegistersCommand,
  readPrepaymentRegistersResponse,
  setMprnCommand,
  statusResponse,
  STATUS_HARDWARE_FAILURE,
  STATUS_NOT_FOUND,
  topUpCommand,
  topUpResponse,
  UTC_NONE,
  ZCL_TYPE,
  zclDate,
  type ComponentDraft,
  type ConsumptionSnapshot,
  type GbzComponent,
  type GbzMessage,
  type PrepaySnapshot,
  type ZclPayload,
} from '../src/gbcs/payload/gbz/index.ts';
import type { PayloadContext } from '../src/gbcs/payload/types.ts';
import { GbcsSecurity } from '../src/gbcs/security.ts';
import { RTDS_KEYSTORE, rtdsMessages } from './support/rtds.ts';

const security = new GbcsSecurity(KeyStore.fromFolders([RTDS_KEYSTORE]));

/** The routing the payload dispatcher applies (src/gbcs/payload/index.ts), restated so this file tests GBZ alone. */
const ASN1_CODES = new Set([0x08, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x12, 0x13, 0x7f, 0x8c, 0xab, 0xaf, 0xb2, 0xca, 0xcb, 0x128, 0x129]);
const GBZ_CODES = new Set([0x8b, 0xcd, 0xcf, 0xf2]);
const DLMS_CODES = new Set([0xcc, 0xce, 0x61, 0xd5, 0xf0]);
function routedToGbz(f: DecodedFrame): boolean {
  const code = f.header.other.messageCode;
  if (ASN1_CODES.has(code) || (code >= 0x100 && code <= 0x109)) return false;
  if (GBZ_CODES.has(code)) return true;
  if (DLMS_CODES.has(code)) return false;
  return f.payload[0] === 0x01 && f.payload[1] === 0x09;
}

function contextOf(f: DecodedFrame, decrypt = true): PayloadContext {
  const ctx: PayloadContext = { messageCode: f.header.other.messageCode, cra: f.header.cra, offset: f.payloadOffset };
  if (decrypt) ctx.decrypt = (c) => security.decryptPayload(f.header, c);
  return ctx;
}

const gbz = rtdsMessages()
  .map((m) => ({ ...m, frame: decodeFrame(m.bytes) }))
  .filter((m) => routedToGbz(m.frame));

function rtds(file: string): DecodedFrame {
  const found = gbz.find((m) => m.file === `${file}_GBCS.HEX`);
  if (!found) throw new Error(`no RTDS GBZ message ${file}`);
  return found.frame;
}

function decoded(file: string) {
  const f = rtds(file);
  return gbzCodec.decode(f.payload, contextOf(f));
}

type Node = { [key: string]: unknown };
function* nodes(x: unknown): Generator<Node> {
  if (Array.isArray(x)) for (const y of x) yield* nodes(y);
  else if (x !== null && typeof x === 'object') {
    yield x as Node;
    for (const v of Object.values(x)) yield* nodes(v);
  }
}

describe('GBZ codec on the RTDS', () => {
  it('decodes all 354 GBZ payloads into named fields and encodes each back byte for byte', () => {
    expect(gbz).toHaveLength(354);
    const kinds = new Map<string, number>();
    for (const m of gbz) {
      const d = gbzCodec.decode(m.frame.payload, contextOf(m.frame));
      kinds.set(d.kind, (kinds.get(d.kind) ?? 0) + 1);
      expect(toHex(gbzCodec.encode(d)), m.file).toBe(toHex(m.frame.payload));
      expect(JSON.parse(JSON.stringify(d.fields)), m.file).toEqual(d.fields);
      for (const n of nodes(d.fields)) {
        if ('clusterId' in n) expect(n.cluster, `${m.file}: cluster ${String(n.clusterId)}`).toBeTypeOf('string');
        if ('attributeId' in n) expect(n.attribute, `${m.file}: attribute ${String(n.attributeId)}`).toBeTypeOf('string');
        if ('commandId' in n) expect(n.command, `${m.file}: command ${String(n.commandId)}`).toBeTypeOf('string');
        expect(n, `${m.file} keeps nothing unparsed`).not.toHaveProperty('raw');
      }
    }
    expect(Object.fromEntries(kinds)).toEqual({ 'gbz-command': 190, 'gbz-response': 144, 'gbz-alert': 20 });
  });

  it('decrypts all 44 encrypted components with the RTDS keys and decodes their ZCL payloads', () => {
    let encrypted = 0;
    let decrypted = 0;
    for (const m of gbz) {
      for (const n of nodes(gbzCodec.decode(m.frame.payload, contextOf(m.frame)).fields)) {
        if (n.encrypted !== true) continue;
        encrypted++;
        if ((n.encryption as Node).decrypted === true && (n.zcl as Node).payload !== undefined) decrypted++;
      }
    }
    expect(encrypted).toBe(44);
    expect(decrypted).toBe(44);
  });

  it('keeps an encrypted component as ciphertext when it cannot be decrypted, and still encodes it exactly', () => {
    const f = rtds('GCS14_4.3_SUCCESS_RELIABLE_GSME_RESPONSE');
    for (const ctx of [contextOf(f, false), { ...contextOf(f, false), decrypt: () => undefined }]) {
      const d = gbzCodec.decode(f.payload, ctx);
      const component = (d.fields as { components: Node[] }).components[1]!;
      expect(component.encryption).toMatchObject({ decrypted: false, securityHeader: '3100000000', tag: '30dfc8f3a59bb734e319c51b' });
      expect((component.zcl as Node).payload).toBeUndefined();
      expect(toHex(gbzCodec.encode(d))).toBe(toHex(f.payload));
    }
  });

  it('names what a test engineer checks: UTRN, balances, statuses, alerts', () => {
    expect(decoded('CS01b_2.2_SUCCESS_COMMAND').fields).toMatchObject({
      components: [{ cluster: 'sePrepayment', zcl: { command: 'consumerTopUp', payload: { originatingDevice: 0, topUpCode: '73950067887105178605' } } }],
    });
    expect(decoded('GCS14_4.3_SUCCESS_UNRELIABLE_RESPONSE').fields).toMatchObject({
      components: [
        { zcl: { command: 'readRsp', payload: { records: [{ attribute: 'priceTrailingDigit', dataType: 'BITMAP8', value: '0x50' }, { attribute: 'currency', value: 826 }] } } },
        { encrypted: true, zcl: { payload: { records: [{ attribute: 'accumulatedDebt', dataType: 'INT32', value: 2500000 }, {}, { attribute: 'creditRemaining', value: 2500000 }, {}, {}, {}] } } },
      ],
    });
    expect(decoded('GCS02_1.6_IMMEDIATE_ERROR_RESPONSE').fields).toMatchObject({
      components: [{ zcl: { command: 'defaultRsp', payload: { commandId: '0x06', command: 'changePaymentMode', status: 'HARDWARE_FAILURE', statusCode: '0xc0' } } }],
    });
    expect(decoded('GCS02_1.6_8F66_FUTURE_DATED_SUCCESS_ALERT_CHANGE_PAYMENT_MODE').fields).toEqual({
      profileId: '0x0109',
      componentCount: 1,
      alertCode: '0x8f66',
      alert: 'Future-Dated Command Successfully Actioned',
      timestamp: '2030-01-15T09:00:00Z',
      executedCommand: {
        messageCode: '0x006c',
        originatorCounter: '1001',
        clusterId: '0x0705',
        cluster: 'sePrepayment',
        frameControl: '0x01',
        commandId: '0x06',
        command: 'changePaymentMode',
        direction: 'client-to-server',
      },
    });
    expect(decoded('MIIWA-ZigBee_NA_81A0_ALERT').fields).toMatchObject({ alertCode: '0x81a0', otherInfo: '0x0005', issue: 'Error Unexpected Hardware Reset' });
    expect(decoded('FDRA-ZigBee_NA_8F72_ALERT').fields).toMatchObject({ timestamp: '2015-01-01T00:00:00Z', calculatedManufacturerHash: 'a1'.repeat(32) });
    expect(decoded('GCS15e_4.4.5_SUCCESS_RESPONSE').fields).toMatchObject({
      components: [{ zcl: { command: 'publishTopUpLog', payload: { topUps: [{ topUpCode: '73942316567647575864', topUpAmount: 1000000 }, {}, {}, {}, {}] } } }],
    });
    expect((decoded('GCS05_2.1_CANCELLATION_SUCCESS_COMMAND').fields as { components: Node[] }).components[2]).toMatchObject({
      control: '0x10',
      fromDateTime: 'none (0xffffffff)',
      zcl: { command: 'setLowCreditWarningLevel', payload: { lowCreditWarningLevel: 5000000 } },
    });
  });

  it('reports bad payloads as GbcsDecodeError at whole-message offsets', () => {
    const f = rtds('GCS21j_6.2.9_SUCCESS_RESPONSE');
    const ctx = contextOf(f);
    const bad = f.payload.slice();
    bad[1] = 0x0a;
    expect(() => gbzCodec.decode(bad, ctx)).toThrow(expect.objectContaining({ name: 'GbcsDecodeError', offset: f.payloadOffset, found: '0x010a' }));
    const truncated = f.payload.subarray(0, f.payload.length - 1);
    expect(() => gbzCodec.decode(truncated, ctx)).toThrow(expect.objectContaining({ name: 'GbcsDecodeError', offset: f.payloadOffset + 8, expected: 'GBZ component (9 bytes)' }));
    const longer = Uint8Array.of(...f.payload, 0);
    expect(() => gbzCodec.decode(longer, ctx)).toThrow(expect.objectContaining({ name: 'GbcsDecodeError', offset: f.payloadOffset + f.payload.length }));
  });
});

describe('GBZ builders reproduce the RTDS payloads', () => {
  const payloadOf = (file: string) => toHex(rtds(file).payload);
  const bytesOf = (m: GbzMessage) => toHex(encodeGbzMessage(m));
  const firstComponent = (m: GbzMessage): GbzComponent => {
    if (m.form === 'alert' || !m.components[0]) throw new Error('expected a command with components');
    return m.components[0];
  };
  const encryptFor = (file: string) => (plaintext: Uint8Array) => security.encryptPayload(rtds(file).header, plaintext);

  it('CS01b top up, accepted and rejected', () => {
    const command = topUpCommand({ utrn: '73950067887105178605' });
    expect(bytesOf(command)).toBe(payloadOf('CS01b_2.2_SUCCESS_COMMAND'));
    expect(bytesOf(topUpCommand({ utrn: '12345678910121314156' }))).toBe(payloadOf('CS01b_2.2_ERROR_COMMAND'));
    expect(bytesOf(topUpResponse(command, { resultType: 0, topUpValue: 1250000, sourceOfTopUp: 0, creditRemaining: 25144000 }))).toBe(payloadOf('CS01b_2.2_SUCCESS_RESPONSE'));
    expect(bytesOf(topUpResponse(command, { resultType: 1, topUpValue: -1, sourceOfTopUp: 0, creditRemaining: -1 }))).toBe(payloadOf('CS01b_2.2_ERROR_RESPONSE'));
    expect(() => topUpCommand({ utrn: '7395006788710517860' })).toThrow(/20 digits/);
  });

  it('GCS02 and GCS03 payment mode changes, immediate, future-dated and cancelled, with the 0x8F66 alert', () => {
    const change = (time: number, config: number, cutOffValue: number) =>
      changePaymentModeCommand({ issuerEventId: 473385600, implementationDateTime: time, proposedPaymentControlConfiguration: config, cutOffValue });
    const toCredit = change(0, PAYMENT_CONTROL.CREDIT, -1);
    expect(bytesOf(toCredit)).toBe(payloadOf('GCS02_1.6_IMMEDIATE_SUCCESS_COMMAND'));
    const futureCredit = changePaymentModeCommand({
      issuerEventId: 473385600,
      implementationDateTime: new Date('2030-01-15T09:00:00Z'),
      proposedPaymentControlConfiguration: PAYMENT_CONTROL.CREDIT,
      cutOffValue: -1,
    });
    expect(bytesOf(futureCredit)).toBe(payloadOf('GCS02_1.6_FUTURE_DATED_SUCCESS_COMMAND'));
    expect(bytesOf(change(UTC_NONE, PAYMENT_CONTROL.CREDIT, -1))).toBe(payloadOf('GCS02_1.6_CANCELLATION_SUCCESS_COMMAND'));
    const toPrepayment = change(0, PAYMENT_CONTROL.PREPAYMENT, 0);
    expect(bytesOf(toPrepayment)).toBe(payloadOf('GCS03_1.6_IMMEDIATE_SUCCESS_COMMAND'));
    const futurePrepayment = change(0x38810a00, PAYMENT_CONTROL.PREPAYMENT_SUSPEND_DEBT_EMERGENCY, 0);
    expect(bytesOf(futurePrepayment)).toBe(payloadOf('GCS03_1.6_FUTURE_DATED_SUCCESS_COMMAND'));
    expect(bytesOf(change(UTC_NONE, PAYMENT_CONTROL.PREPAYMENT_SUSPEND_DEBT_DISABLED, 0))).toBe(payloadOf('GCS03_1.6_CANCELLATION_SUCCESS_COMMAND'));

    const result = { friendlyCredit: 1, friendlyCreditCalendarId: 2, emergencyCreditLimit: 1000000, emergencyCreditThreshold: 200000 };
    expect(bytesOf(changePaymentModeResponse(toCredit, result))).toBe(payloadOf('GCS02_1.6_IMMEDIATE_SUCCESS_RESPONSE'));
    expect(bytesOf(changePaymentModeResponse(futurePrepayment, result))).toBe(payloadOf('GCS03_1.6_FUTURE_DATED_SUCCESS_RESPONSE'));
    expect(bytesOf(statusResponse(toCredit, STATUS_HARDWARE_FAILURE))).toBe(payloadOf('GCS02_1.6_IMMEDIATE_ERROR_RESPONSE'));
    expect(bytesOf(statusResponse(toPrepayment, STATUS_HARDWARE_FAILURE))).toBe(payloadOf('GCS03_1.6_IMMEDIATE_ERROR_RESPONSE'));

    const alert = (command: GbzMessage, timestamp: Date | number, messageCode: number, originatorCounter: bigint) =>
      futureDatedAlert({ timestamp, messageCode, originatorCounter, component: firstComponent(command) });
    expect(bytesOf(alert(futureCredit, new Date('2030-01-15T09:00:00Z'), 0x006c, 1001n))).toBe(payloadOf('GCS02_1.6_8F66_FUTURE_DATED_SUCCESS_ALERT_CHANGE_PAYMENT_MODE'));
    expect(bytesOf(alert(futurePrepayment, 0x38810a00, 0x006d, 1005n))).toBe(payloadOf('GCS03_1.6_8F66_FUTURE_DATED_SUCCESS_ALERT_CHANGE_PAYMENT_MODE'));
  });

  it('GCS41 set MPRN and GCS06 activate emergency credit, answered by status', () => {
    const mprn = setMprnCommand({ mprn: '1234567890', issuerEventId: 473385600 });
    expect(bytesOf(mprn)).toBe(payloadOf('GCS41_6.20.1_SUCCESS_COMMAND'));
    expect(bytesOf(statusResponse(mprn))).toBe(payloadOf('GCS41_6.20.1_SUCCESS_RESPONSE'));
    expect(bytesOf(statusResponse(mprn, STATUS_HARDWARE_FAILURE))).toBe(payloadOf('GCS41_6.20.1_ERROR_RESPONSE'));
    const emergency = activateEmergencyCreditCommand();
    expect(bytesOf(emergency)).toBe(payloadOf('GCS06_2.5_SUCCESS_COMMAND'));
    expect(bytesOf(statusResponse(emergency))).toBe(payloadOf('GCS06_2.5_SUCCESS_RESPONSE'));
    expect(bytesOf(statusResponse(emergency, STATUS_HARDWARE_FAILURE))).toBe(payloadOf('GCS06_2.5_ERROR_RESPONSE'));
  });

  it('GCS14 prepayment registers, with the registers encrypted for the supplier', () => {
    const command = readPrepaymentRegistersCommand();
    expect(bytesOf(command)).toBe(payloadOf('GCS14_4.3_SUCCESS_UNRELIABLE_COMMAND'));
    const registers = { accumulatedDebt: 2500000, emergencyCreditRemaining: 500000, creditRemaining: 2500000, debtAmount3: 5000, debtAmount1: 5000, debtAmount2: 5000 };
    for (const file of ['GCS14_4.3_SUCCESS_UNRELIABLE_RESPONSE', 'GCS14_4.3_SUCCESS_RELIABLE_GSME_RESPONSE', 'GCS14_4.3_SUCCESS_RELIABLE_GPF_RESPONSE']) {
      const response = readPrepaymentRegistersResponse(command, { price: { priceTrailingDigit: 0x50, currency: 826 }, registers }, encryptFor(file));
      expect(bytesOf(response), file).toBe(payloadOf(file));
    }
    const failed = readPrepaymentRegistersResponse(command, { price: { priceTrailingDigit: { status: STATUS_HARDWARE_FAILURE }, currency: 826 }, registers: 'not-executed' }, encryptFor('GCS14_4.3_ERROR_RESPONSE'));
    expect(bytesOf(failed)).toBe(payloadOf('GCS14_4.3_ERROR_RESPONSE'));
  });

  it('GCS60 meter balance, GCS21j payment mode and GCS38 firmware version reads', () => {
    const balance = readMeterBalanceCommand();
    expect(bytesOf(balance)).toBe(payloadOf('GCS60_4.18_SUCCESS_COMMAND'));
    expect(bytesOf(readMeterBalanceResponse(balance, { metering: { billToDateDelivered: 3500000 }, prepayment: { creditRemaining: 2500000 } }))).toBe(payloadOf('GCS60_4.18_SUCCESS_RESPONSE'));
    expect(bytesOf(readMeterBalanceResponse(balance, { metering: { billToDateDelivered: { status: STATUS_HARDWARE_FAILURE } }, prepayment: 'not-executed' }))).toBe(payloadOf('GCS60_4.18_ERROR_RESPONSE'));

    const mode = readPaymentModeCommand();
    expect(bytesOf(mode)).toBe(payloadOf('GCS21j_6.2.9_SUCCESS_COMMAND'));
    expect(bytesOf(readPaymentModeResponse(mode, { paymentControlConfiguration: PAYMENT_CONTROL.PREPAYMENT_SUSPEND_DEBT_DISABLED }))).toBe(payloadOf('GCS21j_6.2.9_SUCCESS_RESPONSE'));
    expect(bytesOf(readPaymentModeResponse(mode, { paymentControlConfiguration: { status: STATUS_HARDWARE_FAILURE } }))).toBe(payloadOf('GCS21j_6.2.9_ERROR_RESPONSE'));

    const firmware = readFirmwareVersionCommand();
    expect(bytesOf(firmware)).toBe(payloadOf('GCS38_11.2_SUCCESS_COMMAND'));
    expect(bytesOf(readFirmwareVersionResponse(firmware, { firmwareVersion: fromHex('0123abcd') }))).toBe(payloadOf('GCS38_11.2_SUCCESS_RESPONSE'));
    expect(bytesOf(readFirmwareVersionResponse(firmware, { firmwareVersion: { status: STATUS_HARDWARE_FAILURE } }))).toBe(payloadOf('GCS38_11.2_ERROR_RESPONSE'));
  });

  it('GCS15b billing data log: 24 snapshot requests, encrypted snapshots, not-found and failure replies', () => {
    const command = readBillingDataLogCommand({ earliestStartTime: new Date('2014-12-01T00:00:00Z'), latestEndTime: new Date('2015-11-01T00:00:00Z'), snapshotCause: 0x6008 });
    expect(bytesOf(command)).toBe(payloadOf('GCS15b_4.4.2_SUCCESS_COMMAND'));
    const dec2014 = new Date('2014-12-01T00:00:00Z');
    const jan2015 = new Date('2015-01-01T00:00:00Z');
    const prepayment: PrepaySnapshot[] = [
      { snapshotId: 0, snapshotTime: dec2014, totalSnapshotsFound: 2, snapshotCause: 0x08, accumulatedDebt: 130, type1DebtRemaining: 121, type2DebtRemaining: 223, type3DebtRemaining: 202, emergencyCreditRemaining: 50, creditRemaining: 66 },
      { snapshotId: 1, snapshotTime: jan2015, totalSnapshotsFound: 2, snapshotCause: 0x2000, accumulatedDebt: 79, type1DebtRemaining: 17, type2DebtRemaining: 171, type3DebtRemaining: 69, emergencyCreditRemaining: -64, creditRemaining: -181 },
    ];
    const consumption: ConsumptionSnapshot[] = [
      { snapshotId: 12, snapshotTime: dec2014, totalSnapshotsFound: 2, snapshotCause: 0x08, currentSummationDelivered: 144, tierSummations: [108, 234, 132, 132], numberOfTiersAndBlockThresholdsInUse: 0x14, blockSummations: [74, 48, 177, 179] },
      { snapshotId: 13, snapshotTime: jan2015, totalSnapshotsFound: 2, snapshotCause: 0x2000, currentSummationDelivered: 190, tierSummations: [184, 161, 101, 203], numberOfTiersAndBlockThresholdsInUse: 0x14, blockSummations: [242, 116, 124, 240] },
    ];
    const notFound = Array.from({ length: 10 }, () => ({ status: STATUS_NOT_FOUND }));
    const success = readBillingDataLogResponse(command, { prepayment: [...prepayment, ...notFound], consumption: [...consumption, ...notFound] }, encryptFor('GCS15b_4.4.2_SUCCESS_RESPONSE'));
    expect(bytesOf(success)).toBe(payloadOf('GCS15b_4.4.2_SUCCESS_RESPONSE'));
    const failed = readBillingDataLogResponse(
      command,
      { prepayment: [...prepayment, ...notFound], consumption: [consumption[0]!, { status: STATUS_HARDWARE_FAILURE }, ...Array<'not-executed'>(10).fill('not-executed')] },
      encryptFor('GCS15b_4.4.2_ERROR_RESPONSE'),
    );
    expect(bytesOf(failed)).toBe(payloadOf('GCS15b_4.4.2_ERROR_RESPONSE'));
    expect(() => readBillingDataLogResponse(command, { prepayment, consumption }, encryptFor('GCS15b_4.4.2_SUCCESS_RESPONSE'))).toThrow(/24 component/);
  });

  it('the GSME firmware distribution receipt alert', () => {
    const alert = firmwareDistributionReceiptAlert({ timestamp: new Date('2015-01-01T00:00:00Z'), manufacturerHash: new Uint8Array(32).fill(0xa1) });
    expect(bytesOf(alert)).toBe(payloadOf('FDRA-ZigBee_NA_8F72_ALERT'));
  });

  it('builds any layout by name: a GCS01a Publish Seasons with a ZCL date', () => {
    const f = rtds('GCS01a_1.1.1_IMMEDIATE_TOU_SUCCESS_COMMAND');
    const tree = gbzCodec.decode(f.payload, contextOf(f)).tree as GbzMessage;
    const seasons = tree.form === 'command' ? tree.components.find((c) => c.clusterId === CLUSTER.CALENDAR && c.header.commandId === 0x03) : undefined;
    const draft = commandDraft(CLUSTER.CALENDAR, 'publishSeasons', {
      providerId: 0,
      issuerEventId: 473385600,
      issuerCalendarId: 473385600,
      commandIndex: 0,
      totalNumberOfCommands: 1,
      seasons: [
        { seasonStartDate: zclDate({ month: 3, day: 20 }), weekIdRef: 1 },
        { seasonStartDate: zclDate({ month: 6, day: 21 }), weekIdRef: 2 },
      ],
    });
    expect(draft.frameControl).toBe(seasons?.header.frameControl);
    expect(draft.payload).toEqual(seasons?.payload);
    expect(() => commandDraft(CLUSTER.CALENDAR, 'publishSeasons', { providerId: 0 })).toThrow(/missing parameter issuerEventId/);
  });

  it('builds what the codec decodes back to the same fields', () => {
    const response = topUpResponse(topUpCommand({ utrn: '73950067887105178605' }), { resultType: 0, topUpValue: 1250000, sourceOfTopUp: 0, creditRemaining: 25144000 });
    const bytes = encodeGbzMessage(response);
    const back = gbzCodec.decode(bytes, { messageCode: 0x0097, cra: 2, offset: 0 });
    expect(back.fields).toMatchObject({ components: [{ lastComponent: true, zcl: { command: 'consumerTopUpResponse', sequence: 0, payload: { creditRemaining: 25144000 } } }] });
  });
});

// ---------------------------------------------------------------- properties

function expectOnlyDecodeErrors(run: () => unknown, ctx: PayloadContext, length: number): void {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(GbcsDecodeError);
    const offset = (e as GbcsDecodeError).offset;
    expect(offset).toBeGreaterThanOrEqual(ctx.offset);
    expect(offset).toBeLessThanOrEqual(ctx.offset + length);
  }
}

/** Decodes; a payload that decodes must encode back to itself. */
function decodeAndReencode(bytes: Uint8Array, ctx: PayloadContext): void {
  expectOnlyDecodeErrors(
    () => {
      const d = gbzCodec.decode(bytes, ctx);
      expect(toHex(gbzCodec.encode(d))).toBe(toHex(bytes));
      expect(JSON.parse(JSON.stringify(d.fields))).toEqual(d.fields);
    },
    ctx,
    bytes.length,
  );
}

const arbContext: fc.Arbitrary<PayloadContext> = fc.record({
  messageCode: fc.oneof(fc.constantFrom(0x008b, 0x00cd, 0x00cf, 0x00f2, 0x0097, 0x1000), fc.integer({ min: 0, max: 0xffff })),
  cra: fc.constantFrom(1 as const, 2 as const, 3 as const),
  offset: fc.nat({ max: 500 }),
});

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.nat().map((n) => n >>> 0);
const bytes = (max: number) => fc.uint8Array({ maxLength: max });

/** A GBZ-looking prefix makes random bytes reach past the header. */
const arbGbzishPayload = fc.tuple(fc.boolean(), u8, bytes(80)).map(([prefixed, count, rest]) => (prefixed ? Uint8Array.of(0x01, 0x09, count & 0x07, ...rest) : rest));

describe('GBZ codec properties', () => {
  it('random payloads decode or fail with GbcsDecodeError only', () => {
    fc.assert(fc.property(arbGbzishPayload, arbContext, (payload, ctx) => decodeAndReencode(payload, ctx)), { numRuns: 1000 });
  });

  const samples = gbz.filter((_, i) => i % 3 === 0).map((m) => ({ payload: m.frame.payload, ctx: contextOf(m.frame, false) }));
  const arbSample = fc.constantFrom(...samples);

  it('mutated RTDS payloads decode or fail with GbcsDecodeError only', () => {
    const arbMutation = fc.tuple(arbSample, fc.array(fc.tuple(fc.nat(), u8, fc.constantFrom('set', 'insert', 'delete')), { minLength: 1, maxLength: 3 }));
    fc.assert(
      fc.property(arbMutation, ([sample, edits]) => {
        const b = [...sample.payload];
        for (const [at, value, how] of edits) {
          const i = at % (b.length + 1);
          if (how === 'set' && i < b.length) b[i] = value;
          else if (how === 'insert') b.splice(i, 0, value);
          else b.splice(i, 1);
        }
        decodeAndReencode(Uint8Array.from(b), sample.ctx);
      }),
      { numRuns: 1000 },
    );
  });

  it('truncated RTDS payloads fail with GbcsDecodeError', () => {
    fc.assert(
      fc.property(arbSample, fc.nat(), (sample, cut) => {
        const truncated = sample.payload.subarray(0, cut % sample.payload.length);
        expect(() => gbzCodec.decode(truncated, sample.ctx)).toThrow(GbcsDecodeError);
      }),
      { numRuns: 400 },
    );
  });

  it('random bytes as the payload of every known command decode to fields or fail with GbcsDecodeError', () => {
    const arbCommand = fc.record({ clusterId: fc.constantFrom(0x0700, 0x0702, 0x0703, 0x0705, 0x0707, 0x0708, 0x0709), frameControl: fc.constantFrom(0x01, 0x09, 0x19), commandId: fc.integer({ min: 0, max: 14 }), body: bytes(60) });
    fc.assert(
      fc.property(arbCommand, ({ clusterId, frameControl, commandId, body }) => {
        const zcl = Uint8Array.of(frameControl, 0, commandId, ...body);
        const payload = Uint8Array.of(0x01, 0x09, 0x01, 0x01, clusterId >> 8, clusterId & 0xff, zcl.length >> 8, zcl.length & 0xff, ...zcl);
        decodeAndReencode(payload, { messageCode: 0x0097, cra: 1, offset: 0 });
      }),
      { numRuns: 600 },
    );
  });

  const scalars: fc.Arbitrary<{ dataType: number; value: number | bigint | Uint8Array | null }>[] = [
    fc.record({ dataType: fc.constantFrom(ZCL_TYPE.UINT8, ZCL_TYPE.ENUM8, ZCL_TYPE.BITMAP8, ZCL_TYPE.BOOLEAN), value: u8 }),
    fc.record({ dataType: fc.constantFrom(ZCL_TYPE.UINT16, ZCL_TYPE.BITMAP16, ZCL_TYPE.ENUM16), value: u16 }),
    fc.record({ dataType: fc.constantFrom(ZCL_TYPE.UINT32, ZCL_TYPE.UTC, ZCL_TYPE.BITMAP32), value: u32 }),
    fc.record({ dataType: fc.constant(ZCL_TYPE.INT32), value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
    fc.record({ dataType: fc.constant(ZCL_TYPE.UINT48), value: fc.integer({ min: 0, max: 2 ** 48 - 1 }) }),
    fc.record({ dataType: fc.constant(0x27), value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
    fc.record({ dataType: fc.constant(0x2f), value: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) }),
    fc.record({ dataType: fc.constantFrom(ZCL_TYPE.OCTET_STR, ZCL_TYPE.CHAR_STR), value: fc.option(bytes(20), { nil: null }) }),
    fc.record({ dataType: fc.constantFrom(ZCL_TYPE.DATE, 0x39), value: fc.uint8Array({ minLength: 4, maxLength: 4 }) }),
    fc.record({ dataType: fc.constant(0xf0), value: fc.uint8Array({ minLength: 8, maxLength: 8 }) }),
  ];
  const arbScalar = fc.oneof(...scalars);

  const arbZclPayload: fc.Arbitrary<{ frameType: 0 | 1; commandId: number; payload: ZclPayload }> = fc.oneof(
    fc.array(u16, { maxLength: 6 }).map((attributeIds) => ({ frameType: 0 as const, commandId: 0x00, payload: { type: 'read-attributes' as const, attributeIds } })),
    fc
      .array(fc.oneof(fc.tuple(u16, arbScalar).map(([attributeId, v]) => ({ attributeId, status: 0 as const, ...v })), fc.record({ attributeId: u16, status: fc.integer({ min: 1, max: 0xff }) })), { maxLength: 5 })
      .map((records) => ({ frameType: 0 as const, commandId: 0x01, payload: { type: 'read-attributes-response' as const, records } })),
    fc.array(fc.tuple(u16, arbScalar).map(([attributeId, v]) => ({ attributeId, ...v })), { maxLength: 4 }).map((records) => ({ frameType: 0 as const, commandId: 0x02, payload: { type: 'write-attributes' as const, records } })),
    fc.record({ commandId: u8, status: u8 }).map((p) => ({ frameType: 0 as const, commandId: 0x0b, payload: { type: 'default-response' as const, ...p } })),
    fc.record({ commandId: fc.integer({ min: 0x40, max: 0xff }), raw: bytes(30) }).map((p) => ({ frameType: 1 as const, commandId: p.commandId, payload: { type: 'raw' as const, bytes: p.raw } })),
  );

  /** A stand-in cipher: the "ciphertext" is the plaintext and a zero tag, so that decoding sees through it. */
  const FAKE_TAG = new Uint8Array(12);
  const fakeEncrypt = (plaintext: Uint8Array) => Uint8Array.of(...plaintext, ...FAKE_TAG);
  const fakeDecrypt = (c: Uint8Array) => c.subarray(0, c.length - FAKE_TAG.length);

  const arbComponent: fc.Arbitrary<GbzComponent> = fc
    .record({
      clusterId: fc.oneof(fc.constantFrom(0x0000, 0x0700, 0x0702, 0x0705), u16),
      otherControlBits: fc.constantFrom(0x00, 0x01, 0x20, 0x81),
      fromDateTime: fc.option(u32, { nil: undefined }),
      encrypted: fc.boolean(),
      zcl: arbZclPayload,
      serverToClient: fc.boolean(),
      manufacturerCode: fc.option(u16, { nil: undefined }),
      sequence: u8,
    })
    .map((g) => {
      const frameControl = g.zcl.frameType | (g.serverToClient ? 0x08 : 0) | (g.manufacturerCode === undefined ? 0 : 0x04);
      const draft: ComponentDraft = { clusterId: g.clusterId, frameControl, commandId: g.zcl.commandId, payload: g.zcl.payload, sequence: g.sequence };
      if (g.fromDateTime !== undefined) draft.fromDateTime = g.fromDateTime;
      if (g.encrypted) draft.encrypt = fakeEncrypt;
      const [c] = assembleComponents([draft]);
      c!.control = (c!.control & 0x12) | g.otherControlBits;
      if (g.manufacturerCode !== undefined) c!.header.manufacturerCode = g.manufacturerCode;
      return c!;
    });

  const arbMessage: fc.Arbitrary<{ message: GbzMessage; messageCode: number }> = fc.oneof(
    fc.record({ form: fc.constantFrom('command' as const, 'response' as const), components: fc.array(arbComponent, { maxLength: 4 }) }).map((message) => ({ message, messageCode: 0x0097 })),
    fc.record({ alertCode: u16, timestamp: u32, components: fc.array(arbComponent, { maxLength: 3 }) }).map(({ alertCode, timestamp, components }) => ({
      message: { form: 'alert' as const, alertCode, timestamp, body: { type: 'components' as const, components } },
      messageCode: 0x008b,
    })),
    fc.record({ alertCode: u16, timestamp: u32, count: u8, messageCode: u16, originatorCounter: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), clusterId: u16, frameControl: u8, commandId: u8 }).map(({ alertCode, timestamp, count, ...executed }) => ({
      message: { form: 'alert' as const, alertCode, timestamp, body: { type: 'future-dated' as const, componentCount: count, ...executed } },
      messageCode: 0x00cd,
    })),
    fc.record({ alertCode: u16, timestamp: u32, count: u8, hash: bytes(64) }).map(({ alertCode, timestamp, count, hash }) => ({
      message: { form: 'alert' as const, alertCode, timestamp, body: { type: 'firmware-distribution-receipt' as const, componentCount: count, manufacturerHash: hash } },
      messageCode: 0x00cf,
    })),
    fc.record({ alertCode: u16, timestamp: u32, count: u8, otherInfo: u16 }).map(({ alertCode, timestamp, count, otherInfo }) => ({
      message: { form: 'alert' as const, alertCode, timestamp, body: { type: 'meter-integrity' as const, componentCount: count, otherInfo } },
      messageCode: 0x00f2,
    })),
  );

  it('generated GBZ structures survive encode → decode → encode, and decode to the same tree', () => {
    fc.assert(
      fc.property(arbMessage, ({ message, messageCode }) => {
        const encoded = encodeGbzMessage(message);
        const cra = message.form === 'command' ? 1 : message.form === 'response' ? 2 : 3;
        const d = gbzCodec.decode(encoded, { messageCode, cra, offset: 0, decrypt: fakeDecrypt });
        expect(toHex(gbzCodec.encode(d))).toBe(toHex(encoded));
        expect(d.kind).toBe(`gbz-${message.form}`);
        expect(d.tree).toEqual(message);
        expect(JSON.parse(JSON.stringify(d.fields))).toEqual(d.fields);
      }),
      { numRuns: 800 },
    );
  });
});
