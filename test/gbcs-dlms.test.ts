import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../src/bytes.ts';
import { KeyStore } from '../src/crypto/keystore.ts';
import { GbcsDecodeError } from '../src/gbcs/errors.ts';
import { decodeFrame, type DecodedFrame } from '../src/gbcs/frame.ts';
import {
  accessRequest,
  action,
  activateEmergencyCreditCommand,
  activateEmergencyCreditResponse,
  addDeviceCommand,
  decodeApdu,
  decodeData,
  deviceLogUpdateResponse,
  dlmsCodec,
  encodeApdu,
  encodeData,
  firmwareDistributionReceiptAlert,
  futureDatedAlert,
  get,
  meterIntegrityAlert,
  paymentModeResponse,
  paymentModeToCreditCommand,
  paymentModeToPrepaymentCommand,
  protectedReadResponse,
  readBillingDataLogCommand,
  readDeviceLogCommand,
  readDeviceLogResponse,
  readDeviceLogsCommand,
  readDeviceLogsResponse,
  readFirmwareVersionCommand,
  readFirmwareVersionResponse,
  readMeterBalanceCommand,
  readMeterBalanceResponse,
  readPaymentModeCommand,
  readPaymentModeResponse,
  readPrepaymentRegistersCommand,
  removeDeviceCommand,
  respondTo,
  restoreDeviceLogCommand,
  setClockCommand,
  setClockResponse,
  setImportMpanCommand,
  setImportMpanResponse,
  textOctetString,
  topUpCommand,
  topUpResponse,
  type AccessRequest,
  type AccessResponse,
  type CreditChargeConfiguration,
  type DlmsApdu,
  type DlmsData,
  type TypeDescription,
} from '../src/gbcs/payload/dlms/index.ts';
import type { DecodedPayload, Json, PayloadContext } from '../src/gbcs/payload/types.ts';
import { Reader, Writer } from '../src/gbcs/reader.ts';
import { GbcsSecurity } from '../src/gbcs/security.ts';
import { RTDS_KEYSTORE, rtdsMessages, type RtdsMessage } from './support/rtds.ts';

// The payload routing decided for the dispatcher: these message codes are DLMS whatever their first byte, and
// otherwise the xDLMS tags select DLMS once the ASN.1 and GBZ codes and the GBZ header are ruled out.
const ASN1_CODES = new Set([0x0008, 0x000a, 0x000b, 0x000c, 0x000d, 0x000e, 0x000f, 0x0010, 0x0012, 0x0013, 0x007f, 0x008c, 0x00ab, 0x00af, 0x00b2, 0x00ca, 0x00cb, 0x0128, 0x0129]);
const GBZ_CODES = new Set([0x008b, 0x00cd, 0x00cf, 0x00f2]);
const DLMS_CODES = new Set([0x00cc, 0x00ce, 0x0061, 0x00d5, 0x00f0]);

function routedToDlms(code: number, p: Uint8Array): boolean {
  if (ASN1_CODES.has(code) || (code >= 0x0100 && code <= 0x0109) || GBZ_CODES.has(code)) return false;
  if (DLMS_CODES.has(code)) return true;
  if (p[0] === 0x01 && p[1] === 0x09) return false;
  return p[0] === 0xd9 || p[0] === 0xda || p[0] === 0x0f;
}

interface DlmsMessage {
  message: RtdsMessage;
  frame: DecodedFrame;
}

const sec = new GbcsSecurity(KeyStore.fromFolders([RTDS_KEYSTORE]));
const dlmsMessages: DlmsMessage[] = rtdsMessages()
  .map((message) => ({ message, frame: decodeFrame(message.bytes) }))
  .filter(({ frame }) => routedToDlms(frame.header.other.messageCode, frame.payload));

function contextOf(frame: DecodedFrame, withDecrypt = true): PayloadContext {
  const ctx: PayloadContext = { messageCode: frame.header.other.messageCode, cra: frame.header.cra, offset: frame.payloadOffset };
  if (withDecrypt) ctx.decrypt = (c) => sec.decryptPayload(frame.header, c);
  return ctx;
}

function rtds(file: string): DlmsMessage {
  const found = dlmsMessages.find((m) => m.message.file === file);
  if (!found) throw new Error(`no DLMS RTDS message ${file}`);
  return found;
}

const decodeRtds = (file: string): DecodedPayload => {
  const { frame } = rtds(file);
  return dlmsCodec.decode(frame.payload, contextOf(frame));
};

/** Every object in a fields tree, depth first. */
function* objectsIn(j: Json): Generator<{ [key: string]: Json }> {
  if (Array.isArray(j)) for (const x of j) yield* objectsIn(x);
  else if (j !== null && typeof j === 'object') {
    yield j;
    for (const v of Object.values(j)) yield* objectsIn(v);
  }
}

describe('DLMS payloads of the RTDS', () => {
  it('routes 743 RTDS messages to the DLMS codec', () => {
    expect(dlmsMessages.length).toBe(743);
  });

  it('decodes every one into named, JSON-safe fields and encodes it back byte for byte', () => {
    const kinds: Record<number, string> = { 0xd9: 'access-request', 0xda: 'access-response', 0x0f: 'data-notification' };
    for (const { message, frame } of dlmsMessages) {
      const decoded = dlmsCodec.decode(frame.payload, contextOf(frame));
      expect(decoded.encoding).toBe('dlms');
      expect(decoded.kind, message.file).toBe(kinds[frame.payload[0]!]);
      expect(toHex(dlmsCodec.encode(decoded)), message.file).toBe(toHex(frame.payload));
      expect(JSON.parse(JSON.stringify(decoded.fields)), message.file).toEqual(decoded.fields);

      const fields = decoded.fields as { [key: string]: Json };
      expect(fields.invokeIdAndPriority, message.file).toMatchObject({ invokeId: Number(frame.header.counter & 0xffffffn) });
      if (decoded.kind === 'access-request') {
        for (const r of fields.requests as { [key: string]: Json }[]) {
          expect(r.obis, message.file).toMatch(/^\d+-\d+:\d+\.\d+\.\d+\.\d+$/);
          expect(typeof r.classId).toBe('number');
          expect(r).toHaveProperty('data');
        }
      } else if (decoded.kind === 'access-response') {
        for (const r of fields.responses as { [key: string]: Json }[]) expect((r.result as { name?: string }).name, message.file).toBeTypeOf('string');
      } else {
        expect((fields.alertCode as { hex: string }).hex, message.file).toMatch(/^[0-9a-f]{4}$/);
      }
    }
  });

  it('decrypts every protected part with the message keys, and keeps it as ciphertext without them', () => {
    let protectedParts = 0;
    for (const { message, frame } of dlmsMessages) {
      const withKeys = dlmsCodec.decode(frame.payload, contextOf(frame));
      const withoutKeys = dlmsCodec.decode(frame.payload, contextOf(frame, false));
      const parts = [...objectsIn(withKeys.fields)].filter((o) => o.type === 'protected-data' && 'ciphertextAndTag' in o);
      protectedParts += parts.length;
      for (const p of parts) {
        expect(p.decryption, message.file).toBe('decrypted');
        expect(p.plaintext).not.toHaveProperty('raw');
      }
      for (const p of [...objectsIn(withoutKeys.fields)].filter((o) => o.type === 'protected-data' && 'ciphertextAndTag' in o)) {
        expect(p).not.toHaveProperty('plaintext');
      }
      expect(toHex(dlmsCodec.encode(withoutKeys))).toBe(toHex(frame.payload));
    }
    // 17 protected-read responses and the two billing data log alerts.
    expect(protectedParts).toBe(19);
  });

  it('names what a top-up carries', () => {
    const fields = decodeRtds('CS01a_2.2_SUCCESS_COMMAND_GBCS.HEX').fields;
    expect(fields).toMatchObject({
      invokeIdAndPriority: { hex: '20000000', invokeId: 0, processing: 'break-on-error' },
      dateTime: null,
      requests: [
        { service: 'action', classId: 115, class: 'Token gateway', obis: '0-0:19.40.0.255', methodId: 1, method: 'enter', data: { type: 'octet-string', text: '73946144332040217315' } },
      ],
    });
  });

  it('names results, alerts and their use-case content', () => {
    expect(decodeRtds('ECS52_11.2_SUCCESS_RESPONSE_GBCS.HEX').fields).toMatchObject({
      responses: [{ service: 'get', result: { value: 0, name: 'success' }, data: { type: 'octet-string', hex: '0123abcd' } }],
    });
    expect(decodeRtds('CCS01_8.11_ERROR_RESPONSE_GBCS.HEX').fields).toMatchObject({
      responses: [{ service: 'action', result: { name: 'success' } }, { service: 'set', result: { name: 'hardware-fault' } }, { service: 'set', result: { name: 'other-reason' } }],
    });
    expect(decodeRtds('ECS02_1.6_8F66_FUTURE_DATED_TWIN_SUCCESS_ALERT_PAYMENT_MODE_GBCS.HEX').fields).toMatchObject({
      alertCode: { value: 0x8f66, hex: '8f66' },
      timestamp: { iso: '2030-01-15T09:00:00.000Z' },
      futureDatedCommand: { messageCode: '001a', originatorCounter: '1005', classId: 111, obis: '0-1:19.0.0.255', attributeId: 13, attribute: 'account_activation_time' },
    });
    expect(decodeRtds('FDRA-DLMS_NA_8F72_ALERT_GBCS.HEX').fields).toMatchObject({ alertCode: { hex: '8f72' }, calculatedManufacturerHash: '01'.repeat(32) });
    expect(decodeRtds('MIIWA-DLMS_NA_81A0_ALERT_GBCS.HEX').fields).toMatchObject({ alertCode: { hex: '81a0' }, integrityIssue: { value: 5, name: 'unexpected hardware reset' } });
    expect(decodeRtds('ECS68_NA_8F0A_SINGLE_ALERT_GBCS.HEX').fields).toMatchObject({
      alertCode: { hex: '8f0a' },
      billingDataLog: { type: 'protected-data', decryption: 'decrypted', protectionParameters: [{ transactionId: { tag: 4, counter: '2001' }, recipient: '90b3d51f30010000' }] },
    });
  });

  it('shows activation date-times as now, never or ISO', () => {
    const dates = (file: string) => [...objectsIn(decodeRtds(file).fields)].filter((o) => 'dateTime' in o).map((o) => o.dateTime);
    expect(dates('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_COMMAND_GBCS.HEX')).toContainEqual({ meaning: 'now' });
    expect(dates('ECS02_1.6_CANCELLATION_TWIN_SUCCESS_COMMAND_GBCS.HEX')).toContainEqual({ meaning: 'never' });
    expect(dates('ECS02_1.6_FUTURE_DATED_TWIN_SUCCESS_COMMAND_GBCS.HEX')).toContainEqual({ iso: '2030-01-15T09:00:00.000Z' });
  });

  it('reports errors at whole-message offsets', () => {
    const { frame } = rtds('ECS52_11.2_SUCCESS_COMMAND_GBCS.HEX');
    const broken = Uint8Array.from(frame.payload);
    broken[6] = 0x07; // the request count, now more than the bytes left can hold
    const error = catchError(() => dlmsCodec.decode(broken, contextOf(frame)));
    expect(error).toBeInstanceOf(GbcsDecodeError);
    expect((error as GbcsDecodeError).offset).toBe(frame.payloadOffset + 6);
  });
});

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('DLMS builders reproduce the RTDS', () => {
  const hexOf = (apdu: DlmsApdu) => toHex(encodeApdu(apdu));
  const payloadHex = (file: string) => toHex(rtds(file).frame.payload);
  const counterOf = (file: string) => rtds(file).frame.header.counter;
  const commandOf = (file: string) => decodeApdu(new Reader(rtds(file).frame.payload)) as AccessRequest;
  const supplier = '90b3d51f30010000';
  const esme = '00db1234567890a0';
  const utc = (iso: string) => new Date(iso);
  const expectBuilt = (file: string, build: (counter: bigint) => DlmsApdu) => expect(hexOf(build(counterOf(file))), file).toBe(payloadHex(file));

  it('CS01a top-up and its responses', () => {
    expectBuilt('CS01a_2.2_SUCCESS_COMMAND_GBCS.HEX', (counter) => topUpCommand({ counter, utrn: '73946144332040217315' }));
    expectBuilt('CS01a_2.2_ERROR_COMMAND_GBCS.HEX', (counter) => topUpCommand({ counter, utrn: '73948959061972833313' }));
    expectBuilt('CS01a_2.2_SUCCESS_RESPONSE_GBCS.HEX', (counter) => topUpResponse({ counter }));
    expectBuilt('CS01a_2.2_ERROR_RESPONSE_GBCS.HEX', (counter) => topUpResponse({ counter, result: 1 }));
  });

  const credit = (creditReference: string, chargeReference: string, collectionConfiguration: string): CreditChargeConfiguration => ({ creditReference, chargeReference, collectionConfiguration });

  it('ECS02 payment mode to credit, immediate, future-dated and cancelled, and its responses', () => {
    const single = [credit('0-0:19.10.0.255', '0-0:19.20.0.255', '111'), credit('0-0:19.10.0.255', '0-0:19.20.4.255', '111')];
    const twin = [...single, credit('0-0:19.10.0.255', '0-0:19.20.5.255', '111')];
    expectBuilt('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_COMMAND_GBCS.HEX', (counter) => paymentModeToCreditCommand({ counter, creditChargeConfiguration: single, activationTime: 'now' }));
    expectBuilt('ECS02_1.6_FUTURE_DATED_TWIN_SUCCESS_COMMAND_GBCS.HEX', (counter) =>
      paymentModeToCreditCommand({ counter, creditChargeConfiguration: twin, activationTime: utc('2030-01-15T09:00:00Z') }),
    );
    expectBuilt('ECS02_1.6_CANCELLATION_TWIN_SUCCESS_COMMAND_GBCS.HEX', (counter) => paymentModeToCreditCommand({ counter, creditChargeConfiguration: twin, activationTime: 'never' }));
    const command = commandOf('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_COMMAND_GBCS.HEX');
    expect(hexOf(paymentModeResponse(command))).toBe(payloadHex('ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_RESPONSE_GBCS.HEX'));
    expect(hexOf(paymentModeResponse(commandOf('ECS02_1.6_IMMEDIATE_SINGLE_ERROR_COMMAND_GBCS.HEX'), { results: [0, 1, 250] }))).toBe(
      payloadHex('ECS02_1.6_IMMEDIATE_SINGLE_ERROR_RESPONSE_GBCS.HEX'),
    );
  });

  it('ECS03 payment mode to prepayment, and its responses', () => {
    const entries: [string, string, string][] = [
      ['0-0:19.10.0.255', '0-0:19.20.0.255', '111'],
      ['0-0:19.10.0.255', '0-0:19.20.4.255', '111'],
      ['0-0:19.10.0.255', '0-0:19.20.1.255', '110'],
      ['0-0:19.10.0.255', '0-0:19.20.2.255', '110'],
      ['0-0:19.10.0.255', '0-0:19.20.3.255', '111'],
      ['0-0:19.10.1.255', '0-0:19.20.3.255', '111'],
      ['0-0:19.10.1.255', '0-0:19.20.0.255', '111'],
      ['0-0:19.10.1.255', '0-0:19.20.4.255', '111'],
      ['0-0:19.10.1.255', '0-0:19.20.1.255', '110'],
      ['0-0:19.10.1.255', '0-0:19.20.2.255', '110'],
      ['0-0:19.10.2.255', '0-0:19.20.4.255', '111'],
      ['0-0:19.10.2.255', '0-0:19.20.1.255', '111'],
      ['0-0:19.10.2.255', '0-0:19.20.2.255', '111'],
    ];
    expectBuilt('ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_COMMAND_GBCS.HEX', (counter) =>
      paymentModeToPrepaymentCommand({
        counter,
        disablementThreshold: 556677,
        creditChargeConfiguration: entries.map(([a, b, c]) => credit(a, b, c)),
        disablementThresholdActivationTime: 'now',
        activationTime: 'now',
      }),
    );
    expect(hexOf(paymentModeResponse(commandOf('ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_COMMAND_GBCS.HEX')))).toBe(payloadHex('ECS03_1.6_IMMEDIATE_SINGLE_SUCCESS_RESPONSE_GBCS.HEX'));
    expect(hexOf(paymentModeResponse(commandOf('ECS03_1.6_IMMEDIATE_SINGLE_ERROR_COMMAND_GBCS.HEX'), { results: [0, 0, 0, 1, 250] }))).toBe(
      payloadHex('ECS03_1.6_IMMEDIATE_SINGLE_ERROR_RESPONSE_GBCS.HEX'),
    );
  });

  it('ECS70 set clock and its responses', () => {
    const clock = { presetTime: 'never' as const, validityIntervalStart: utc('2014-12-31T23:59:10Z'), validityIntervalEnd: utc('2015-01-01T00:00:10Z') };
    expectBuilt('ECS70_6.11_SUCCESS_COMMAND_GBCS.HEX', (counter) => setClockCommand({ counter, ...clock }));
    expectBuilt('ECS70_6.11_SUCCESS_RESPONSE_GBCS.HEX', (counter) => setClockResponse({ counter, time: utc('2015-01-01T00:00:00Z'), status: 0 }));
    expectBuilt('ECS70_6.11_ERROR_RESPONSE_GBCS.HEX', (counter) => setClockResponse({ counter, time: utc('2015-01-01T00:00:00Z'), status: 0, results: [0, 0, 0, 1, 250] }));
  });

  it('ECS39a set import MPAN and its responses', () => {
    expectBuilt('ECS39a_6.20.1_SINGLE_SUCCESS_COMMAND_GBCS.HEX', (counter) => setImportMpanCommand({ counter, mpan: '1312345678333' }));
    expectBuilt('ECS39a_6.20.1_TWIN_SUCCESS_COMMAND_GBCS.HEX', (counter) => setImportMpanCommand({ counter, mpan: '13123456781111312345678222' }));
    expectBuilt('ECS39a_6.20.1_SINGLE_SUCCESS_RESPONSE_GBCS.HEX', (counter) => setImportMpanResponse({ counter }));
    expectBuilt('ECS39a_6.20.1_SINGLE_ERROR_RESPONSE_GBCS.HEX', (counter) => setImportMpanResponse({ counter, result: 1 }));
  });

  /** The plaintext of a protected read response, encrypted again with the same header key. */
  function reencrypted(file: string): Uint8Array {
    const { frame } = rtds(file);
    const response = decodeApdu(new Reader(frame.payload)) as AccessResponse;
    const protectedOctets = (response.data[0] as { elements: DlmsData[] }).elements[1] as { value: Uint8Array };
    const plaintext = sec.decryptPayload(frame.header, protectedOctets.value.subarray(5));
    expect(plaintext, file).toBeDefined();
    return sec.encryptPayload(frame.header, plaintext!);
  }

  it('ECS19 read prepayment registers, protected, and its responses', () => {
    expectBuilt('ECS19_4.3_SUCCESS_COMMAND_GBCS.HEX', (counter) => readPrepaymentRegistersCommand({ counter, requester: supplier, device: esme }));
    const file = 'ECS19_4.3_SUCCESS_RESPONSE_GBCS.HEX';
    expectBuilt(file, (counter) => protectedReadResponse({ counter, requester: supplier, device: esme, ciphertextAndTag: reencrypted(file) }));
    expectBuilt('ECS19_4.3_ERROR_RESPONSE_GBCS.HEX', (counter) => protectedReadResponse({ counter, requester: supplier, device: esme, result: 1 }));
  });

  it('ECS20b read billing data log by date range, protected, and its response', () => {
    expectBuilt('ECS20b_4.4.2_SINGLE_SUCCESS_COMMAND_GBCS.HEX', (counter) =>
      readBillingDataLogCommand({ counter, requester: supplier, device: esme, from: utc('2014-10-02T09:00:00Z'), to: utc('2015-03-01T09:00:00Z') }),
    );
    const file = 'ECS20b_4.4.2_SINGLE_SUCCESS_RESPONSE_GBCS.HEX';
    expectBuilt(file, (counter) => protectedReadResponse({ counter, requester: supplier, device: esme, ciphertextAndTag: reencrypted(file) }));
  });

  it('ECS82 meter balance, ECS09 emergency credit, ECS26j payment mode, ECS52 firmware version', () => {
    expectBuilt('ECS82_4.18_SUCCESS_COMMAND_GBCS.HEX', (counter) => readMeterBalanceCommand({ counter }));
    expectBuilt('ECS82_4.18_SUCCESS_RESPONSE_GBCS.HEX', (counter) => readMeterBalanceResponse({ counter, balance: 250000 }));
    expectBuilt('ECS82_4.18_ERROR_RESPONSE_GBCS.HEX', (counter) => readMeterBalanceResponse({ counter, result: 1 }));
    expectBuilt('ECS09_2.5_SUCCESS_COMMAND_GBCS.HEX', (counter) => activateEmergencyCreditCommand({ counter }));
    expectBuilt('ECS09_2.5_SUCCESS_RESPONSE_GBCS.HEX', (counter) => activateEmergencyCreditResponse({ counter }));
    expectBuilt('ECS09_2.5_ERROR_RESPONSE_GBCS.HEX', (counter) => activateEmergencyCreditResponse({ counter, result: 1 }));
    expectBuilt('ECS26j_6.2.9_SUCCESS_COMMAND_GBCS.HEX', (counter) => readPaymentModeCommand({ counter }));
    expectBuilt('ECS26j_6.2.9_SUCCESS_RESPONSE_GBCS.HEX', (counter) => readPaymentModeResponse({ counter, accountModeAndStatus: { paymentMode: 2, accountStatus: 2 } }));
    expectBuilt('ECS26j_6.2.9_ERROR_RESPONSE_GBCS.HEX', (counter) => readPaymentModeResponse({ counter, result: 1 }));
    expectBuilt('ECS52_11.2_SUCCESS_COMMAND_GBCS.HEX', (counter) => readFirmwareVersionCommand({ counter }));
    expectBuilt('ECS52_11.2_SUCCESS_RESPONSE_GBCS.HEX', (counter) => readFirmwareVersionResponse({ counter, version: '0123abcd' }));
    expectBuilt('ECS52_11.2_ERROR_RESPONSE_GBCS.HEX', (counter) => readFirmwareVersionResponse({ counter, result: 1 }));
  });

  const logEntries = [
    { ieeeAddress: '00db1234567890a0', hashedTcLinkKey: '83fed3407a939723a5c639b26916d506' },
    { ieeeAddress: '00db1234567890a1', hashedTcLinkKey: '83fed3407a939723a5c639b26916d505' },
  ];

  it('CCS01 add, CCS02 remove and CCS03 restore the CHF device log, and their responses', () => {
    const device = { ieeeAddress: esme, keyType: 1, key: new TextEncoder().encode('0123456789ABCDEF'), deviceType: 0 };
    expectBuilt('CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX', (counter) => addDeviceCommand({ counter, device, joinTimeout: 90 }));
    expect(hexOf(deviceLogUpdateResponse(commandOf('CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX')))).toBe(payloadHex('CCS01_8.11_SUCCESS_RESPONSE_GBCS.HEX'));
    expect(hexOf(deviceLogUpdateResponse(commandOf('CCS01_8.11_ERROR_COMMAND_GBCS.HEX'), { results: [0, 1, 250] }))).toBe(payloadHex('CCS01_8.11_ERROR_RESPONSE_GBCS.HEX'));
    expectBuilt('CCS02_8.11_SUCCESS_COMMAND_GBCS.HEX', (counter) => removeDeviceCommand({ counter, ieeeAddress: esme }));
    expect(hexOf(deviceLogUpdateResponse(commandOf('CCS02_8.11_ERROR_COMMAND_GBCS.HEX'), { results: [1] }))).toBe(payloadHex('CCS02_8.11_ERROR_RESPONSE_GBCS.HEX'));
    expectBuilt('CCS03_8.12.1_SUCCESS_COMMAND_GBCS.HEX', (counter) => restoreDeviceLogCommand({ counter, extendedPanId: '0000000000000140', devices: logEntries }));
    expect(hexOf(deviceLogUpdateResponse(commandOf('CCS03_8.12.1_SUCCESS_COMMAND_GBCS.HEX')))).toBe(payloadHex('CCS03_8.12.1_SUCCESS_RESPONSE_GBCS.HEX'));
  });

  it('CCS06 read the CHF device log with link statistics, and its responses', () => {
    const common = { status: '11001000', numberOfHops: 1, transmissionFailures: 0, transmissionSuccesses: 100, applicationVersion: 1, stackVersion: 1 };
    const devices = [
      { ...common, macAddress: esme, maxRssi: -35, averageRssi: -50, minRssi: -100, maxLqi: 2, averageLqi: 39, minLqi: 247, lastCommunication: fromHex('07de0c1f03173200008000ff') },
      { ...common, macAddress: '00db1234567890a1', maxRssi: -34, averageRssi: -54, minRssi: -77, maxLqi: 1, averageLqi: 96, minLqi: 205, lastCommunication: fromHex('07de0c1f03172800008000ff') },
    ];
    expectBuilt('CCS06_8.9_SUCCESS_COMMAND_GBCS.HEX', (counter) => readDeviceLogCommand({ counter }));
    expectBuilt('CCS06_8.9_SUCCESS_RESPONSE_GBCS.HEX', (counter) => readDeviceLogResponse({ counter, devices }));
    expectBuilt('CCS06_8.9_ERROR_RESPONSE_GBCS.HEX', (counter) => readDeviceLogResponse({ counter, result: 1 }));
  });

  it('CCS07 read the CHF device logs, and its responses', () => {
    const timestamp = utc('2015-01-01T00:00:00Z');
    const historic = [
      { ieeeAddress: '00db1234567890a3', hashedTcLinkKey: '00112233445566778899a1a2a3a4a5a6' },
      { ieeeAddress: '00db1234567890a4', hashedTcLinkKey: 'a1a2a3a4a5a600112233445566778899' },
    ];
    expectBuilt('CCS07_8.9_SUCCESS_COMMAND_GBCS.HEX', (counter) => readDeviceLogsCommand({ counter }));
    expectBuilt('CCS07_8.9_SUCCESS_RESPONSE_GBCS.HEX', (counter) =>
      readDeviceLogsResponse({
        counter,
        deviceLog: { timestamp, extendedPanId: '0001020304050607', devices: logEntries },
        historicDeviceLog: { timestamp, extendedPanId: '0001020304050607', devices: historic },
      }),
    );
    expectBuilt('CCS07_8.9_ERROR_RESPONSE_GBCS.HEX', (counter) => readDeviceLogsResponse({ counter, results: [1, 250] }));
  });

  it('the future-dated (0x00CC), firmware distribution receipt (0x00CE) and meter integrity (0x00F0) alerts', () => {
    expectBuilt('ECS02_1.6_8F66_FUTURE_DATED_TWIN_SUCCESS_ALERT_PAYMENT_MODE_GBCS.HEX', (counter) =>
      futureDatedAlert({ counter, timestamp: utc('2030-01-15T09:00:00Z'), command: { messageCode: 0x001a, originatorCounter: 1005n, classId: 111, obis: '0-1:19.0.0.255', attributeId: 13 } }),
    );
    expectBuilt('ECS03_1.6_8F66_FUTURE_DATED_TWIN_SUCCESS_ALERT_DISABLEMENT_THRESHOLD_GBCS.HEX', (counter) =>
      futureDatedAlert({ counter, timestamp: utc('2030-01-15T09:00:00Z'), command: { messageCode: 0x001b, originatorCounter: 1011n, classId: 9000, obis: '0-0:94.44.128.22', attributeId: 6 } }),
    );
    expectBuilt('FDRA-DLMS_NA_8F72_ALERT_GBCS.HEX', (counter) => firmwareDistributionReceiptAlert({ counter, timestamp: utc('2015-01-01T00:00:00Z'), calculatedManufacturerHash: '01'.repeat(32) }));
    expectBuilt('MIIWA-DLMS_NA_81A0_ALERT_GBCS.HEX', (counter) => meterIntegrityAlert({ counter, timestamp: utc('2015-01-01T00:00:00Z'), issue: 5 }));
  });

  it('answers every RTDS error command, item for item, as its ERROR_RESPONSE does', () => {
    let answered = 0;
    for (const { message, frame } of dlmsMessages.filter((m) => m.message.file.includes('ERROR_RESPONSE'))) {
      const commandFile = message.file.replace('ERROR_RESPONSE', 'ERROR_COMMAND');
      if (!dlmsMessages.some((m) => m.message.file === commandFile)) continue;
      const expected = decodeApdu(new Reader(frame.payload)) as AccessResponse;
      const outcomes = expected.results.map((r, i) => ({ result: r.result, data: expected.data[i]! }));
      expect(hexOf(respondTo(commandOf(commandFile), outcomes)), message.file).toBe(toHex(frame.payload));
      answered++;
    }
    expect(answered).toBeGreaterThan(100);
  });

  it('builds generic requests from get, set and action items', () => {
    const request = accessRequest(0x20000005, [{ request: get(1, '0-0:0.2.1.255', 2) }, { request: action(115, '0-0:19.40.0.255', 1), data: textOctetString('1') }]);
    expect(toHex(encodeApdu(request))).toBe(['d9', '20000005', '00', '02', '01', '0001', '0000000201ff', '02', '03', '0073', '0000132800ff', '01', '02', '00', '090131'].join(''));
  });
});

// ---------- Property tests ----------

const simpleType = fc.constantFrom(
  'null-data',
  'boolean',
  'bit-string',
  'double-long',
  'double-long-unsigned',
  'octet-string',
  'visible-string',
  'utf8-string',
  'bcd',
  'integer',
  'long',
  'unsigned',
  'long-unsigned',
  'long64',
  'long64-unsigned',
  'enum',
  'float32',
  'float64',
  'date-time',
  'date',
  'time',
  'dont-care',
) as fc.Arbitrary<Exclude<TypeDescription['type'], 'array' | 'structure'>>;

const shortBytes = (max: number) => fc.uint8Array({ maxLength: max });
const fixedBytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

function simpleValue(type: Exclude<TypeDescription['type'], 'array' | 'structure'>): fc.Arbitrary<DlmsData> {
  switch (type) {
    case 'null-data':
    case 'dont-care':
      return fc.constant({ type });
    case 'boolean':
      return fc.oneof(fc.boolean().map((value) => ({ type, value })), fc.integer({ min: 1, max: 0xfe }).map((encoding) => ({ type, value: true, encoding })));
    case 'bit-string':
      return fc.integer({ min: 0, max: 300 }).chain((bits) => fixedBytes(Math.ceil(bits / 8)).map((bytes) => ({ type, bits, bytes })));
    case 'octet-string':
    case 'visible-string':
    case 'utf8-string':
      return fc.oneof(shortBytes(20), shortBytes(300)).map((value) => ({ type, value }));
    case 'integer':
      return fc.integer({ min: -128, max: 127 }).map((value) => ({ type, value }));
    case 'long':
      return fc.integer({ min: -32768, max: 32767 }).map((value) => ({ type, value }));
    case 'double-long':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((value) => ({ type, value }));
    case 'bcd':
    case 'unsigned':
    case 'enum':
      return fc.integer({ min: 0, max: 255 }).map((value) => ({ type, value }));
    case 'long-unsigned':
      return fc.integer({ min: 0, max: 0xffff }).map((value) => ({ type, value }));
    case 'double-long-unsigned':
      return fc.integer({ min: 0, max: 0xffffffff }).map((value) => ({ type, value }));
    case 'long64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ type, value }));
    case 'long64-unsigned':
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((value) => ({ type, value }));
    case 'float32':
      return fixedBytes(4).map((bytes) => ({ type, bytes }));
    case 'float64':
      return fixedBytes(8).map((bytes) => ({ type, bytes }));
    case 'date-time':
      return fixedBytes(12).map((value) => ({ type, value }));
    case 'date':
      return fixedBytes(5).map((value) => ({ type, value }));
    case 'time':
      return fixedBytes(4).map((value) => ({ type, value }));
  }
}

const typeDescription: fc.Arbitrary<TypeDescription> = fc.letrec<{ desc: TypeDescription }>((tie) => ({
  desc: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    simpleType.filter((t) => t !== 'null-data' && t !== 'dont-care').map((type) => ({ type }) as TypeDescription),
    fc.record({ type: fc.constant('structure' as const), elements: fc.array(tie('desc'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ type: fc.constant('array' as const), count: fc.integer({ min: 1, max: 3 }), element: tie('desc') }),
  ),
})).desc;

function valueFor(d: TypeDescription): fc.Arbitrary<DlmsData> {
  if (d.type === 'array') return fc.array(valueFor(d.element), { minLength: d.count, maxLength: d.count }).map((elements) => ({ type: 'array', elements }) as DlmsData);
  if (d.type === 'structure') return fc.tuple(...d.elements.map(valueFor)).map((elements) => ({ type: 'structure', elements }) as DlmsData);
  return simpleValue(d.type);
}

const compactArray: fc.Arbitrary<DlmsData> = typeDescription.chain((description) =>
  fc.array(valueFor(description), { maxLength: 4 }).map((elements) => ({ type: 'compact-array', description, elements }) as DlmsData),
);

const dlmsData: fc.Arbitrary<DlmsData> = fc.letrec<{ data: DlmsData }>((tie) => ({
  data: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    simpleType.chain(simpleValue),
    fc.array(tie('data'), { maxLength: 5 }).map((elements) => ({ type: 'structure', elements }) as DlmsData),
    fc.array(tie('data'), { maxLength: 5 }).map((elements) => ({ type: 'array', elements }) as DlmsData),
    compactArray,
  ),
})).data;

function encodeOne(d: DlmsData): Uint8Array {
  const w = new Writer();
  encodeData(w, d);
  return w.finish();
}

/** Decoding either fails with a GbcsDecodeError inside the payload or succeeds and encodes back to the same bytes. */
function decodesCleanly(bytes: Uint8Array, messageCode: number): void {
  const offset = 1000;
  let decoded: DecodedPayload;
  try {
    decoded = dlmsCodec.decode(bytes, { messageCode, cra: 2, offset, decrypt: () => undefined });
  } catch (e) {
    if (!(e instanceof GbcsDecodeError)) throw e;
    expect(e.offset).toBeGreaterThanOrEqual(offset);
    expect(e.offset).toBeLessThanOrEqual(offset + bytes.length);
    return;
  }
  expect(toHex(dlmsCodec.encode(decoded))).toBe(toHex(bytes));
  JSON.stringify(decoded.fields);
}

const samplePayloads = dlmsMessages.map((m) => ({ payload: m.frame.payload, code: m.frame.header.other.messageCode }));
const samplePayload = fc.constantFrom(...samplePayloads);

describe('DLMS codec properties', () => {
  it('generated DLMS data values round-trip encode → decode → encode', () => {
    fc.assert(
      fc.property(dlmsData, (d) => {
        const bytes = encodeOne(d);
        const r = new Reader(bytes);
        const decoded = decodeData(r);
        expect(r.done).toBe(true);
        expect(decoded).toEqual(d);
        expect(toHex(encodeOne(decoded))).toBe(toHex(bytes));
      }),
      { numRuns: 800 },
    );
  });

  it('random bytes give a clean decode or a GbcsDecodeError, never anything else', () => {
    const payload = fc.tuple(fc.constantFrom(0xd9, 0xda, 0x0f, 0x30, 0x00), fc.uint8Array({ maxLength: 200 })).map(([tag, rest]) => Uint8Array.of(tag, ...rest));
    fc.assert(
      fc.property(payload, fc.constantFrom(0x0001, 0x00cc, 0x00ce, 0x00d5, 0x00f0, 0x0061), (bytes, code) => decodesCleanly(bytes, code)),
      { numRuns: 1000 },
    );
  });

  it('mutated RTDS payloads give a clean decode or a GbcsDecodeError', () => {
    const mutation = fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), kind: fc.constantFrom('replace', 'insert', 'delete', 'replace-length') });
    fc.assert(
      fc.property(samplePayload, fc.array(mutation, { minLength: 1, maxLength: 3 }), ({ payload, code }, mutations) => {
        let bytes = Array.from(payload);
        for (const m of mutations) {
          const at = m.at % Math.max(bytes.length, 1);
          if (m.kind === 'replace') bytes[at] = m.value;
          else if (m.kind === 'insert') bytes.splice(at, 0, m.value);
          else if (m.kind === 'delete') bytes.splice(at, 1);
          else bytes[at] = [0x00, 0x7f, 0x80, 0x81, 0x82, 0x84, 0x85, 0xff][m.value % 8]!;
        }
        decodesCleanly(Uint8Array.from(bytes), code);
      }),
      { numRuns: 1500 },
    );
  });

  it('truncated RTDS payloads always give a GbcsDecodeError', () => {
    fc.assert(
      fc.property(samplePayload, fc.nat(), ({ payload, code }, cut) => {
        const truncated = payload.subarray(0, cut % payload.length);
        const error = catchError(() => dlmsCodec.decode(truncated, { messageCode: code, cra: 2, offset: 7 }));
        expect(error).toBeInstanceOf(GbcsDecodeError);
      }),
      { numRuns: 500 },
    );
  });
});

describe('DLMS codec on hostile input', () => {
  const ctx: PayloadContext = { messageCode: 0x0001, cra: 1, offset: 50 };
  const request = (data: Uint8Array) => Uint8Array.of(0xd9, 0x20, 0, 0, 1, 0x00, 0x01, 0x01, 0x00, 0x01, 0, 0, 0, 0x02, 0x01, 0xff, 0x02, 0x01, ...data);

  it('refuses nesting deeper than it will recurse', () => {
    const deep = new Uint8Array(20_000).map((_, i) => (i % 2 === 0 ? 0x02 : 0x01));
    expect(catchError(() => dlmsCodec.decode(request(deep), ctx))).toBeInstanceOf(GbcsDecodeError);
  });

  it('refuses element counts the remaining bytes cannot hold, without allocating them', () => {
    const error = catchError(() => dlmsCodec.decode(request(Uint8Array.of(0x01, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x00)), ctx));
    expect(error).toBeInstanceOf(GbcsDecodeError);
    expect((error as GbcsDecodeError).expected).toMatch(/count/);
  });

  it('refuses compact arrays of zero-size elements', () => {
    const zeroSize = Uint8Array.of(0x13, 0x01, 0xff, 0xff, 0x00, 0x01, 0x00);
    expect(catchError(() => dlmsCodec.decode(request(zeroSize), ctx))).toBeInstanceOf(GbcsDecodeError);
  });

  it('refuses lengths not in their shortest form, which would not encode back the same', () => {
    const error = catchError(() => dlmsCodec.decode(request(Uint8Array.of(0x09, 0x81, 0x01, 0xaa)), ctx));
    expect((error as GbcsDecodeError).expected).toMatch(/shortest form/);
    expect((error as GbcsDecodeError).offset).toBe(50 + 19);
  });

  it('keeps undecryptable protected data as ciphertext and still succeeds', () => {
    const { frame } = rtds('ECS19_4.3_SUCCESS_RESPONSE_GBCS.HEX');
    const decoded = dlmsCodec.decode(frame.payload, { ...contextOf(frame, false), decrypt: () => undefined });
    const part = [...objectsIn(decoded.fields)].find((o) => o.type === 'protected-data')!;
    expect(part.decryption).toMatch(/^failed/);
    expect(part.ciphertextAndTag).toMatch(/^e3035370/);
    expect(toHex(dlmsCodec.encode(decoded))).toBe(toHex(frame.payload));
  });
});
