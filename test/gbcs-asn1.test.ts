import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../src/bytes.ts';
import { GbcsDecodeError, GbcsEncodeError } from '../src/gbcs/errors.ts';
import { decodeFrame, type CraFlag } from '../src/gbcs/frame.ts';
import {
  asn1Codec,
  buildActivateFirmwareAcceptedResponse,
  buildActivateFirmwareAlert,
  buildActivateFirmwareCommand,
  buildActivateFirmwareResponse,
  buildFirmwareActivationAlert,
  buildFirmwareTransferAlert,
  buildGpfDeviceLogBackupAlert,
  buildGpfDeviceLogRestoreCommand,
  buildGpfDeviceLogRestoreResponse,
  buildJoinDeviceCommand,
  buildJoinDeviceResponse,
  buildReadDeviceJoinDetailsCommand,
  buildReadDeviceJoinDetailsResponse,
  buildReadFirmwareVersionCommand,
  buildReadFirmwareVersionResponse,
  buildSetTimeCommand,
  buildSetTimeResponse,
  buildUnjoinDeviceCommand,
  buildUnjoinDeviceResponse,
  buildUpdateSecurityCredentialsAlert,
  buildUpdateSecurityCredentialsCommand,
  buildUpdateSecurityCredentialsResponse,
  CANCELLATION_DATE_TIME,
  decodeDer,
  encodeDer,
  GENERIC_KIND,
  MAX_DEPTH,
  type DerNode,
  type TrustAnchorCell,
  type UpdateSecurityCredentialsOutcome,
} from '../src/gbcs/payload/asn1/index.ts';
import type { DecodedPayload, Json, PayloadContext } from '../src/gbcs/payload/types.ts';
import { rtdsMessages } from './support/rtds.ts';

// The routing the brief fixes for the dispatcher, restated so that this file tests the ASN.1 codec on its own.
const ASN1_CODES = new Set([
  0x0008, 0x000a, 0x000b, 0x000c, 0x000d, 0x00ab, 0x000e, 0x00af, 0x000f, 0x0010, 0x0012, 0x00ca, 0x0013, 0x007f, 0x008c,
  0x00b2, 0x00cb, 0x0128, 0x0129,
]);
const OTHER_CODES = new Set([0x008b, 0x00cd, 0x00cf, 0x00f2, 0x00cc, 0x00ce, 0x0061, 0x00d5, 0x00f0]);
const routedToAsn1 = (code: number, payload: Uint8Array) =>
  ASN1_CODES.has(code) || (code >= 0x0100 && code <= 0x0109) || (!OTHER_CODES.has(code) && payload[0] === 0x30);

interface Asn1Message {
  file: string;
  payload: Uint8Array;
  ctx: PayloadContext;
}

const asn1Messages: Asn1Message[] = rtdsMessages().flatMap((m) => {
  const frame = decodeFrame(m.bytes);
  const messageCode = frame.header.other.messageCode;
  if (!routedToAsn1(messageCode, frame.payload)) return [];
  return [{ file: m.file, payload: frame.payload, ctx: { messageCode, cra: frame.header.cra, offset: frame.payloadOffset } }];
});

function rtds(file: string): Asn1Message {
  const found = asn1Messages.find((m) => m.file === file);
  if (!found) throw new Error(`no ASN.1 RTDS message ${file}`);
  return found;
}

const decodeRtds = (file: string) => asn1Codec.decode(rtds(file).payload, rtds(file).ctx);
const utc = (iso: string) => new Date(iso);
type Fields = { [key: string]: Json };

describe('RTDS ASN.1 payloads', () => {
  it('routes 178 RTDS payloads to the ASN.1 codec', () => {
    expect(asn1Messages).toHaveLength(178);
  });

  it('decodes every one to named, JSON-safe fields of a known structure and encodes it back byte for byte', () => {
    for (const m of asn1Messages) {
      const decoded = asn1Codec.decode(m.payload, m.ctx);
      expect(decoded.encoding, m.file).toBe('asn1');
      expect(decoded.kind, m.file).not.toBe(GENERIC_KIND);
      expect(typeof decoded.fields, m.file).toBe('object');
      expect(Object.keys(decoded.fields as Fields).length, m.file).toBeGreaterThan(0);
      expect(JSON.parse(JSON.stringify(decoded.fields)), m.file).toEqual(decoded.fields);
      expect(toHex(asn1Codec.encode(decoded)), m.file).toBe(toHex(m.payload));
    }
  });

  it('names the CS06 command fields: image hash, originator counter, execution date-time', () => {
    const decoded = decodeRtds('CS06_11.3_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX');
    expect(decoded.kind).toBe('activate-firmware-command');
    expect(decoded.fields).toEqual({
      manufacturerImageHash: 'aa758690730934ff0685aa758690730934ff0685657788990011223344556677',
      originatorCounter: '1001',
      executionDateTime: '2030-01-15T09:00:00Z',
    });
  });

  it('tells a future-dated CS06 acknowledgement from an immediate outcome', () => {
    expect(decodeRtds('CS06_11.3_FUTURE_DATED_SUCCESS_RESPONSE_GBCS.HEX').fields).toEqual({ commandAccepted: true });
    expect(decodeRtds('CS06_11.3_IMMEDIATE_ERROR_RESPONSE_GBCS.HEX').fields).toEqual({
      responseCode: { value: 1, name: 'noImageHeld' },
      firmwareVersion: '0123abcf',
    });
  });

  it('names the CCS08 alert code and outcome', () => {
    const decoded = decodeRtds('CCS08_NA_NA_ALERT_GBCS.HEX');
    expect(decoded.kind).toBe('firmware-transfer-alert');
    expect(decoded.fields).toMatchObject({
      alertCode: { value: 0x8f8a, hex: '0x8f8a' },
      entityId: '00db1234567890a4',
      firmwareVersion: '0123abcd',
      responseCode: { value: 0, name: 'success' },
    });
  });

  it('reads a join command with the other device and its certificate (CS03C)', () => {
    const fields = decodeRtds('CS03CCritical_8.7.1_SUCCESS_COMMAND_GBCS.HEX').fields as Fields;
    expect(fields.joinMethodAndRole).toEqual({ value: 3, name: 'methodC' });
    expect(fields.otherDeviceEntityId).toBe('00db123456789098');
    expect(fields.otherDeviceType).toEqual({ value: 5, name: 'PPMID' });
    expect(fields.otherDeviceCertificate).toMatchObject({
      entityId: '00db123456789098',
      keyUsage: ['keyAgreement'],
      version: 3,
      serialNumber: '5d3e7b682548c599339af6c094c07a9c',
      issuer: [{ attribute: 'commonName', value: '0001' }],
      validity: { notBefore: '2015-03-26T00:00:00Z', notAfter: '9999-12-31T23:59:59Z' },
      subjectPublicKeyInfo: { algorithm: 'id-ecPublicKey', curve: 'prime256v1' },
    });
  });

  it('reads organisation certificates in a CS02b command: subject, issuer, entity id, key usage', () => {
    const fields = decodeRtds('CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX').fields as Fields;
    const replacements = fields.replacements as Fields[];
    expect(replacements).toHaveLength(3);
    expect(replacements[0]).toMatchObject({
      certificate: {
        entityId: '90b3d51f30010000',
        keyUsage: ['digitalSignature'],
        issuer: [
          { attribute: 'organizationalUnitName', value: '07' },
          { attribute: 'commonName', value: 'Z1' },
        ],
        subject: [
          { attribute: 'commonName', value: 'GITTESTSUPPLIER' },
          { attribute: 'organizationalUnitName', value: '02' },
          { attribute: 'x500UniqueIdentifier', value: '90b3d51f30010000' },
        ],
      },
      targetTaCell: { remotePartyRole: { value: 2, name: 'supplier' }, keyUsage: ['digitalSignature'] },
    });
    expect(fields.authorisingRemotePartyControl).toMatchObject({
      credentialsReplacementMode: { value: 2, name: 'supplierBySupplier' },
      authorisingRemotePartySeqNumber: '1000',
    });
  });

  it('reads the certification request a device returns to CS02c', () => {
    const fields = decodeRtds('CS02c_6.17_SUCCESS_RESPONSE_GBCS.HEX').fields as Fields;
    expect(fields.certificationRequest).toMatchObject({
      version: 0,
      subjectPublicKeyInfo: { algorithm: 'id-ecPublicKey', curve: 'prime256v1' },
    });
  });

  it('keeps what it cannot name as raw hex in a payload of unknown structure', () => {
    const payload = fromHex('3009 020105 0a0102 800100');
    const decoded = asn1Codec.decode(payload, { messageCode: 0x0fff, cra: 1, offset: 40 });
    expect(decoded.kind).toBe(GENERIC_KIND);
    expect(decoded.fields).toEqual({
      asn1: {
        type: 'SEQUENCE',
        items: [
          { type: 'INTEGER', value: '5' },
          { type: 'ENUMERATED', value: '2' },
          { type: '[0] primitive', raw: '00' },
        ],
      },
    });
    expect(toHex(asn1Codec.encode(decoded))).toBe(toHex(payload));
  });
});

describe('decode errors', () => {
  const ctx = (offset: number): PayloadContext => ({ messageCode: 0x0012, cra: 1, offset });

  function decodeError(hex: string, c = ctx(100)): GbcsDecodeError {
    try {
      asn1Codec.decode(fromHex(hex), c);
    } catch (e) {
      if (e instanceof GbcsDecodeError) return e;
      throw e;
    }
    throw new Error(`decoded ${hex} without error`);
  }

  it('reports a schema mismatch at the offending element, in whole-message offsets', () => {
    // CS06 command whose hash is 2 bytes, not 32: the OCTET STRING starts 2 bytes into the payload.
    const e = decodeError('3008 0402aabb 020203e8');
    expect(e.offset).toBe(102);
    expect(e.expected).toContain('32 octets');
  });

  it('reports a missing element at the end of its SEQUENCE', () => {
    const e = decodeError(`3022 0420${'aa'.repeat(32)}`);
    expect(e.offset).toBe(136);
    expect(e.expected).toContain('originatorCounter');
    expect(e.found).toBe('end of SEQUENCE');
  });

  it.each([
    ['indefinite length', '3080 0500 0000', 101, 'definite length'],
    ['high tag number form', '1f8101 00', 100, 'single-byte identifier'],
    ['constructed OCTET STRING', '2402 0400', 100, 'primitive'],
    ['a length beyond the payload', '3005 0500', 102, 'contents of SEQUENCE'],
    ['bytes after the value', '0500 00', 102, 'end of the DER value'],
    ['an empty payload', '', 100, 'DER identifier'],
    ['a 5-octet length', '3085 0000000000', 101, 'at most 4 length octets'],
  ])('rejects %s', (_name, hex, offset, expected) => {
    const e = decodeError(hex, { messageCode: 0x0fff, cra: 1, offset: 100 });
    expect(e.offset).toBe(offset);
    expect(e.expected).toContain(expected);
  });

  it('checks the contents of the values it names', () => {
    const time = (text: string) => `180f${Buffer.from(text).toString('hex')}`;
    const setTime = (start: string) => ({ hex: `3022${time(start)}${time('20240301000000Z')}`, ctx: { messageCode: 0x007f, cra: 1 as const, offset: 100 } });
    const leapDay = setTime('20240229000000Z');
    expect(asn1Codec.decode(fromHex(leapDay.hex), leapDay.ctx).fields).toMatchObject({ validityIntervalStart: '2024-02-29T00:00:00Z' });
    const feb30 = setTime('20230230000000Z');
    expect(decodeError(feb30.hex, feb30.ctx)).toMatchObject({ offset: 102, expected: expect.stringContaining('valid calendar date') });
    expect(decodeError(`3027 0420${'aa'.repeat(32)} 02030003e8`)).toMatchObject({
      offset: 136,
      expected: expect.stringContaining('minimal form'),
    });
    const keyUsageWithPadding = { messageCode: 0x000a, cra: 1 as const, offset: 100 };
    expect(decodeError('3004 03020781', keyUsageWithPadding)).toMatchObject({ offset: 102, expected: expect.stringContaining('unused bits set to zero') });
  });

  it('fails cleanly on a huge string value', () => {
    const text = '9'.repeat(200_000);
    const hex = `3083030d6a 0420${'aa'.repeat(32)} 020103 1883030d40${Buffer.from(text).toString('hex')}`;
    expect(decodeError(hex)).toMatchObject({ expected: expect.stringContaining('GeneralizedTime') });
  });

  it('bounds nesting depth instead of recursing without limit', () => {
    const depth = 300;
    let payload = fromHex('0500');
    for (let i = 0; i < depth; i++) {
      const len = payload.length;
      const header = len < 0x80 ? [0x30, len] : len < 0x100 ? [0x30, 0x81, len] : [0x30, 0x82, len >> 8, len & 0xff];
      payload = Uint8Array.of(...header, ...payload);
    }
    const e = decodeError(toHex(payload), { messageCode: 0x0fff, cra: 1, offset: 0 });
    expect(e.expected).toContain(`at most ${MAX_DEPTH} deep`);
  });

  it('refuses to encode a payload of another encoding or a tree that is not DER', () => {
    const decoded = decodeRtds('CS07_8.9_SUCCESS_COMMAND_GBCS.HEX');
    expect(() => asn1Codec.encode({ ...decoded, encoding: 'gbz' })).toThrow(GbcsEncodeError);
    expect(() => asn1Codec.encode({ ...decoded, tree: { tag: 5 } })).toThrow(GbcsEncodeError);
  });
});

const cert = (file: string, path: number[]): Uint8Array => {
  let node: DerNode = decodeDer(rtds(file).payload);
  for (const i of path) {
    if (node.kind !== 'constructed') throw new Error('not constructed');
    node = node.children[i]!;
  }
  return encodeDer(node);
};

const HASH = fromHex('aa758690730934ff0685aa758690730934ff0685657788990011223344556677');
const S2S = 'CS02bSupplierBySupplier_6.15.1_';
const supplierCells: TrustAnchorCell[] = [
  { remotePartyRole: 'supplier', keyUsage: ['digitalSignature'] },
  { remotePartyRole: 'supplier', keyUsage: ['keyAgreement'] },
  { remotePartyRole: 'supplier', keyUsage: ['keyAgreement'], cellUsage: 'prepaymentTopUp' },
];

function supplierBySupplierCommand(file: string, seqNumber: number, extra: { timeBasedCpvChecks?: 'disapply'; executionDateTime?: Date }) {
  const f = S2S + file;
  return buildUpdateSecurityCredentialsCommand({
    authorisingRemotePartyControl: {
      credentialsReplacementMode: 'supplierBySupplier',
      ...(extra.timeBasedCpvChecks ? { timeBasedCpvChecks: extra.timeBasedCpvChecks } : {}),
      authorisingRemotePartyTaCell: { remotePartyRole: 'supplier', keyUsage: ['digitalSignature'] },
      authorisingRemotePartySeqNumber: seqNumber,
      newRemotePartyFloorSeqNumber: 0,
      newRemotePartySpecialistFloorSeqNumbers: [{ seqNumberUsage: 'prepaymentTopUp', seqNumber: 0 }],
    },
    replacements: supplierCells.map((targetTaCell, i) => ({ certificate: cert(f, [1, i, 0]), targetTaCell })),
    certificationPathCertificates: [cert(f, [2, 0])],
    ...(extra.executionDateTime ? { executionDateTime: extra.executionDateTime } : {}),
  });
}

function supplierOutcome(seqNumber: number): UpdateSecurityCredentialsOutcome {
  const outcome = (cell: TrustAnchorCell, existingKey: string, replacingKey: string) => ({
    affectedTaCell: cell,
    statusCode: 'success' as const,
    existingSubjectUniqueId: '90b3d51f30010000',
    existingSubjectKeyId: fromHex(existingKey),
    replacingSubjectUniqueId: '90b3d51f30010000',
    replacingSubjectKeyId: fromHex(replacingKey),
  });
  return {
    authorisingRemotePartySeqNumber: seqNumber,
    credentialsReplacementMode: 'supplierBySupplier',
    remotePartySeqNumberChanges: [{ remotePartyRole: 'supplier', floorSeqNumber: 0, specialistFloorSeqNumbers: [{ seqNumberUsage: 'prepaymentTopUp', seqNumber: 0 }] }],
    replacementOutcomes: [
      outcome(supplierCells[0]!, '44899792d196f4b8', '43046b4fb7c4f11b'),
      outcome(supplierCells[1]!, '405b8c62687d8f70', '429667c1b8bb1e34'),
      outcome(supplierCells[2]!, '41fb49221588c570', '4eb07a1bca0dd58c'),
    ],
  };
}

const log = (deviceId: string, deviceType: 'GPF' | 'PPMID' | 'Type2') => ({ deviceId, deviceType });

const BUILDER_CASES: [file: string, build: () => Uint8Array][] = [
  ['CS03A1_8.7.1_SUCCESS_COMMAND_GBCS.HEX', () => buildJoinDeviceCommand({ joinMethodAndRole: 'methodAInitiator', otherDeviceEntityId: '00db12345678909a', otherDeviceType: 'HCALCS' })],
  ['CS03A1_8.7.1_ERROR_COMMAND_GBCS.HEX', () => buildJoinDeviceCommand({ joinMethodAndRole: 'methodAInitiator', otherDeviceEntityId: '00db12345678909a', otherDeviceType: 'PPMID' })],
  ['CS03A2Critical_8.7.1_SUCCESS_COMMAND_GBCS.HEX', () => buildJoinDeviceCommand({ joinMethodAndRole: 'methodAResponder', otherDeviceEntityId: '00db123456789093', otherDeviceType: 'ESME' })],
  ['CS03B_8.7.2_SUCCESS_COMMAND_GBCS.HEX', () => buildJoinDeviceCommand({ joinMethodAndRole: 'methodB', otherDeviceEntityId: '00db12345678909c', otherDeviceType: 'GPF' })],
  [
    'CS03CCritical_8.7.1_SUCCESS_COMMAND_GBCS.HEX',
    () =>
      buildJoinDeviceCommand({
        joinMethodAndRole: 'methodC',
        otherDeviceEntityId: '00db123456789098',
        otherDeviceType: 'PPMID',
        otherDeviceCertificate: cert('CS03CCritical_8.7.1_SUCCESS_COMMAND_GBCS.HEX', [3]),
      }),
  ],
  ['CS03CNonCritical_8.7.2_ERROR_COMMAND_GBCS.HEX', () => buildJoinDeviceCommand({ joinMethodAndRole: 'methodC', otherDeviceEntityId: '00db123456789093', otherDeviceType: 'GSME' })],
  ['CS03A1_8.7.1_SUCCESS_RESPONSE_GBCS.HEX', () => buildJoinDeviceResponse('success')],
  ['CS03A1_8.7.1_ERROR_RESPONSE_GBCS.HEX', () => buildJoinDeviceResponse('incompatibleWithExistingEntry')],
  ['CS03CNonCritical_8.7.2_ERROR_RESPONSE_GBCS.HEX', () => buildJoinDeviceResponse('invalidOrMissingCertificate')],
  ['CS04ACCritical_8.8.1_SUCCESS_COMMAND_GBCS.HEX', () => buildUnjoinDeviceCommand('00db123456789099')],
  ['CS04B_8.8.2_SUCCESS_COMMAND_GBCS.HEX', () => buildUnjoinDeviceCommand('0102030405060708')],
  ['CS04B_8.8.2_SUCCESS_RESPONSE_GBCS.HEX', () => buildUnjoinDeviceResponse('success')],
  ['CS04B_8.8.2_ERROR_RESPONSE_GBCS.HEX', () => buildUnjoinDeviceResponse('notInDeviceLog')],
  ['CS06_11.3_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX', () => buildActivateFirmwareCommand({ manufacturerImageHash: HASH, originatorCounter: 1000n })],
  ['CS06_11.3_IMMEDIATE_ERROR_COMMAND_GBCS.HEX', () => buildActivateFirmwareCommand({ manufacturerImageHash: HASH, originatorCounter: 1005n })],
  [
    'CS06_11.3_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX',
    () => buildActivateFirmwareCommand({ manufacturerImageHash: HASH, originatorCounter: 1001n, executionDateTime: utc('2030-01-15T09:00:00Z') }),
  ],
  [
    'CS06_11.3_FUTURE_DATED_ERROR_COMMAND_GBCS.HEX',
    () => buildActivateFirmwareCommand({ manufacturerImageHash: HASH, originatorCounter: 1004n, executionDateTime: utc('2030-01-01T00:00:00Z') }),
  ],
  [
    'CS06_11.3_CANCELLATION_SUCCESS_COMMAND_GBCS.HEX',
    () => buildActivateFirmwareCommand({ manufacturerImageHash: HASH, originatorCounter: 1002n, executionDateTime: CANCELLATION_DATE_TIME }),
  ],
  ['CS06_11.3_FUTURE_DATED_SUCCESS_RESPONSE_GBCS.HEX', () => buildActivateFirmwareAcceptedResponse()],
  ['CS06_11.3_IMMEDIATE_SUCCESS_RESPONSE_GBCS.HEX', () => buildActivateFirmwareResponse({ responseCode: 'success', firmwareVersion: fromHex('0123abce') })],
  ['CS06_11.3_IMMEDIATE_ERROR_RESPONSE_GBCS.HEX', () => buildActivateFirmwareResponse({ responseCode: 'noImageHeld', firmwareVersion: fromHex('0123abcf') })],
  [
    'CS06_11.3_8F66_FUTURE_DATED_SUCCESS_ALERT_GBCS.HEX',
    () =>
      buildActivateFirmwareAlert({
        alertCode: 0x8f66,
        executionDateTime: utc('2030-01-15T09:00:00Z'),
        originatorCounter: 1001n,
        responseCode: 'success',
        firmwareVersion: fromHex('0123abcf'),
      }),
  ],
  [
    'CS06_11.3_8F67_FUTURE_DATED_ERROR_ALERT_GBCS.HEX',
    () =>
      buildActivateFirmwareAlert({
        alertCode: 0x8f67,
        executionDateTime: utc('2030-01-01T00:00:00Z'),
        originatorCounter: 1004n,
        responseCode: 'hashMismatch',
        firmwareVersion: fromHex('0123abcf'),
      }),
  ],
  ['CS07_8.9_SUCCESS_COMMAND_GBCS.HEX', () => buildReadDeviceJoinDetailsCommand()],
  [
    'CS07_8.9_SUCCESS_RESPONSE_GBCS.HEX',
    () =>
      buildReadDeviceJoinDetailsResponse({
        responseCode: 'success',
        deviceLogEntries: [log('0102030405060708', 'GPF'), log('00db123456789099', 'GPF'), log('00db123456789097', 'PPMID')],
      }),
  ],
  ['CS07_8.9_ERROR_RESPONSE_GBCS.HEX', () => buildReadDeviceJoinDetailsResponse({ responseCode: 'readFailure' })],
  [
    'GCS28_6.11_SUCCESS_COMMAND_GBCS.HEX',
    () => buildSetTimeCommand({ validityIntervalStart: utc('2014-12-31T23:30:00Z'), validityIntervalEnd: utc('2015-01-01T00:30:00Z') }),
  ],
  [
    'GCS28Commission_8.1.1_ERROR_COMMAND_GBCS.HEX',
    () => buildSetTimeCommand({ validityIntervalStart: utc('2015-01-01T01:00:00Z'), validityIntervalEnd: utc('2015-01-01T02:00:00Z') }),
  ],
  ['GCS28_6.11_SUCCESS_RESPONSE_GBCS.HEX', () => buildSetTimeResponse({ deviceTime: utc('2014-12-31T23:30:00Z'), deviceTimeStatus: 'reliable' })],
  ['GCS28_6.11_ERROR_RESPONSE_GBCS.HEX', () => buildSetTimeResponse({ deviceTime: utc('2015-01-01T00:00:00Z'), deviceTimeStatus: 'unreliable' })],
  ['GCS59_8.12.2_SUCCESS_COMMAND_GBCS.HEX', () => buildGpfDeviceLogRestoreCommand([log('0011223344556677', 'PPMID'), log('8899aabbccddeeff', 'Type2')])],
  [
    'GCS59_8.12.2_SUCCESS_RESPONSE_GBCS.HEX',
    () =>
      buildGpfDeviceLogRestoreResponse([
        { ...log('0011223344556677', 'PPMID'), joinResponseCode: 'success' },
        { ...log('8899aabbccddeeff', 'Type2'), joinResponseCode: 'success' },
      ]),
  ],
  [
    'GCS62_NA_8071_ALERT_GBCS.HEX',
    () =>
      buildGpfDeviceLogBackupAlert({
        backupDateTime: utc('2015-01-01T00:00:00Z'),
        deviceLogEntries: [
          log('0102030405060708', 'Type2'),
          log('00db123456789099', 'PPMID'),
          log('00db123456789097', 'PPMID'),
          log('00db123456789096', 'PPMID'),
          log('00db123456789098', 'PPMID'),
          log('00db12345678909b', 'Type2'),
        ],
      }),
  ],
  [
    'CCS08_NA_NA_ALERT_GBCS.HEX',
    () =>
      buildFirmwareTransferAlert({
        alertCode: 0x8f8a,
        executionDateTime: utc('2015-01-01T00:00:00Z'),
        entityId: '00db1234567890a4',
        firmwareVersion: fromHex('0123abcd'),
        responseCode: 'success',
      }),
  ],
  ['CS08_11.2_SUCCESS_COMMAND_GBCS.HEX', () => buildReadFirmwareVersionCommand()],
  ['CS08_11.2_SUCCESS_RESPONSE_GBCS.HEX', () => buildReadFirmwareVersionResponse({ firmwareVersion: fromHex('0123abcd'), responseCode: 'readSuccess' })],
  ['CS08_11.2_ERROR_RESPONSE_GBCS.HEX', () => buildReadFirmwareVersionResponse({ firmwareVersion: fromHex('00000000'), responseCode: 'readFailure' })],
  [
    'CS09_NA_8F8B_ALERT_GBCS.HEX',
    () =>
      buildFirmwareActivationAlert({
        alertCode: 0x8f8b,
        executionDateTime: utc('2015-01-01T00:00:00Z'),
        firmwareVersion: fromHex('1234abcd'),
        activationStatus: 'success',
      }),
  ],
  [`${S2S}IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX`, () => supplierBySupplierCommand('IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX', 1000, { timeBasedCpvChecks: 'disapply' })],
  [
    `${S2S}FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX`,
    () => supplierBySupplierCommand('FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX', 1001, { executionDateTime: utc('2030-01-15T00:00:00Z') }),
  ],
  [
    `${S2S}CANCELLATION_SUCCESS_COMMAND_GBCS.HEX`,
    () => supplierBySupplierCommand('CANCELLATION_SUCCESS_COMMAND_GBCS.HEX', 1002, { executionDateTime: CANCELLATION_DATE_TIME }),
  ],
  [`${S2S}IMMEDIATE_SUCCESS_RESPONSE_GBCS.HEX`, () => buildUpdateSecurityCredentialsResponse(supplierOutcome(1000))],
  [`${S2S}FUTURE_DATED_SUCCESS_RESPONSE_GBCS.HEX`, () => buildUpdateSecurityCredentialsResponse()],
  [
    `${S2S}8F66_FUTURE_DATED_SUCCESS_ALERT_GBCS.HEX`,
    () => buildUpdateSecurityCredentialsAlert({ alertCode: 0x8f66, executionDateTime: utc('2030-01-15T00:00:00Z'), executionOutcome: supplierOutcome(1001) }),
  ],
];

describe('builders', () => {
  it.each(BUILDER_CASES)('reproduce %s', (file, build) => {
    expect(toHex(build())).toBe(toHex(rtds(file).payload));
  });

  it('refuse values the payload cannot carry', () => {
    expect(() => buildActivateFirmwareCommand({ manufacturerImageHash: new Uint8Array(31), originatorCounter: 1n })).toThrow(GbcsEncodeError);
    expect(() => buildActivateFirmwareCommand({ manufacturerImageHash: HASH, originatorCounter: -1n })).toThrow(GbcsEncodeError);
    expect(() => buildUnjoinDeviceCommand('00db1234')).toThrow(GbcsEncodeError);
    expect(() => buildJoinDeviceResponse('noSuchCode' as 'success')).toThrow(GbcsEncodeError);
    expect(() => buildSetTimeCommand({ validityIntervalStart: new Date(NaN), validityIntervalEnd: new Date(0) })).toThrow(GbcsEncodeError);
  });
});

// Property tests: 3,400 cases in all.

const KNOWN_CODES = [...ASN1_CODES, 0x0102, 0x011b, 0x0124, 0x0126, 0x012b, 0x0fff];
const contextArb = fc.record({
  messageCode: fc.constantFrom(...KNOWN_CODES),
  cra: fc.constantFrom<CraFlag>(1, 2, 3),
  offset: fc.nat({ max: 2000 }),
});

/** Decoding either succeeds (and then encodes back to the same bytes) or throws GbcsDecodeError inside the payload. */
function decodeOnlyFailsCleanly(bytes: Uint8Array, ctx: PayloadContext): void {
  let decoded: DecodedPayload;
  try {
    decoded = asn1Codec.decode(bytes, ctx);
  } catch (e) {
    if (!(e instanceof GbcsDecodeError)) throw e;
    expect(e.offset).toBeGreaterThanOrEqual(ctx.offset);
    expect(e.offset).toBeLessThanOrEqual(ctx.offset + bytes.length);
    return;
  }
  expect(toHex(asn1Codec.encode(decoded))).toBe(toHex(bytes));
}

describe('properties', () => {
  it('random bytes decode or fail with GbcsDecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), contextArb, (bytes, ctx) => decodeOnlyFailsCleanly(bytes, ctx)),
      { numRuns: 1000 },
    );
  });

  it('mutated RTDS payloads decode or fail with GbcsDecodeError', () => {
    const mutation = fc.oneof(
      fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ op: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ op: fc.constant('delete' as const), at: fc.nat(), byte: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.nat({ max: asn1Messages.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (index, mutations) => {
        const m = asn1Messages[index]!;
        const bytes = [...m.payload];
        for (const { op, at, byte } of mutations) {
          const i = at % (bytes.length + 1);
          if (op === 'set' && i < bytes.length) bytes[i] = byte;
          if (op === 'insert') bytes.splice(i, 0, byte);
          if (op === 'delete') bytes.splice(i, 1);
        }
        decodeOnlyFailsCleanly(Uint8Array.from(bytes), m.ctx);
      }),
      { numRuns: 1000 },
    );
  });

  it('every truncated RTDS payload fails with GbcsDecodeError', () => {
    fc.assert(
      fc.property(fc.nat({ max: asn1Messages.length - 1 }), fc.nat(), (index, cut) => {
        const m = asn1Messages[index]!;
        const truncated = m.payload.subarray(0, cut % m.payload.length);
        expect(() => asn1Codec.decode(truncated, m.ctx)).toThrow(GbcsDecodeError);
      }),
      { numRuns: 400 },
    );
  });

  it('generated DER structures round-trip encode → decode → encode', () => {
    const primitiveTag = fc.oneof(
      fc.constantFrom(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0a, 0x0c, 0x13, 0x16, 0x17, 0x18),
      fc.integer({ min: 0x80, max: 0x9e }),
      fc.integer({ min: 0x40, max: 0x5e }),
    );
    const constructedTag = fc.oneof(fc.constantFrom(0x30, 0x31), fc.integer({ min: 0xa0, max: 0xbe }));
    const lengthForm = fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined });
    const { node } = fc.letrec<{ node: DerNode }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.record({ kind: fc.constant('primitive' as const), tag: primitiveTag, value: fc.uint8Array({ maxLength: 140 }), lengthOctets: lengthForm }),
        fc.record({ kind: fc.constant('constructed' as const), tag: constructedTag, children: fc.array(tie('node'), { maxLength: 4 }), lengthOctets: lengthForm }),
      ),
    }));
    // A length form must fit its length (short form below 128, n octets below 256^n); where it does not, use the shortest.
    const withFittingForms = (n: DerNode): DerNode => {
      const fixed: DerNode = n.kind === 'primitive' ? { ...n } : { ...n, children: n.children.map(withFittingForms) };
      const content = fixed.kind === 'primitive' ? fixed.value.length : fixed.children.reduce((s, c) => s + encodeDer(c).length, 0);
      const f = fixed.lengthOctets;
      if (f !== undefined && (f === 0 ? content >= 0x80 : content >= 256 ** f)) delete fixed.lengthOctets;
      return fixed;
    };
    fc.assert(
      fc.property(node.map(withFittingForms), fc.nat({ max: 500 }), (tree, offset) => {
        const bytes = encodeDer(tree);
        const decoded = asn1Codec.decode(bytes, { messageCode: 0x0fff, cra: 1, offset });
        expect(decoded.kind).toBe(GENERIC_KIND);
        expect(JSON.parse(JSON.stringify(decoded.fields))).toEqual(decoded.fields);
        expect(toHex(asn1Codec.encode(decoded))).toBe(toHex(bytes));
        expect(toHex(encodeDer(decodeDer(bytes, offset)))).toBe(toHex(bytes));
      }),
      { numRuns: 1000 },
    );
  });
});
