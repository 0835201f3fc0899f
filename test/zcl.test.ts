import fc from 'fast-check';
import { Zcl } from 'zigbee-herdsman';
import { describe, expect, it } from 'vitest';
import {
  GBCS_TUNNEL,
  IMAGE_BLOCK_RESPONSE_OVERHEAD,
  OtaStatus,
  ZclDecodeError,
  ZclEncodeError,
  customClusters,
  decodeOta,
  decodeReadAttributes,
  decodeReadAttributesResponse,
  decodeTunnel,
  decodeZcl,
  encodeOta,
  encodeReadAttributes,
  encodeReadAttributesResponse,
  encodeTunnel,
  encodeZcl,
  unwrapTunnel,
  wrapGbcsInTunnel,
  type OtaMessage,
  type TunnelMessage,
  type ZclDirection,
} from '../src/zcl/index.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

/** Byte fields come back as Uint8Array views; compare them by content. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Array.from(value);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

function decodeError(run: () => unknown): ZclDecodeError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ZclDecodeError);
    return error as ZclDecodeError;
  }
  throw new Error('expected a ZclDecodeError, but decoding succeeded');
}

describe('Smart Energy custom clusters', () => {
  const cluster = (name: string) => customClusters[name]!;

  it('has the SE 1.4 cluster ids', () => {
    expect(Object.values(customClusters).map((c) => [c.name, c.ID])).toEqual([
      ['sePrice', 0x0700],
      ['seMessaging', 0x0703],
      ['sePrepayment', 0x0705],
      ['seKeyEstablishment', 0x0800],
    ]);
  });

  it.each([
    ['sePrepayment', 'paymentControlConfiguration', 0x0000, Zcl.DataType.BITMAP16],
    ['sePrepayment', 'creditRemaining', 0x0001, Zcl.DataType.INT32],
    ['sePrepayment', 'emergencyCreditRemaining', 0x0002, Zcl.DataType.INT32],
    ['sePrepayment', 'creditStatus', 0x0003, Zcl.DataType.BITMAP8],
    ['sePrepayment', 'emergencyCreditLimitAllowance', 0x0010, Zcl.DataType.UINT32],
    ['sePrepayment', 'totalCreditAdded', 0x0020, Zcl.DataType.UINT48],
    ['sePrepayment', 'topUpDateTime1', 0x0100, Zcl.DataType.UTC],
    ['sePrepayment', 'topUpAmount1', 0x0101, Zcl.DataType.INT32],
    ['sePrepayment', 'topUpCode1', 0x0103, Zcl.DataType.OCTET_STR],
    ['sePrepayment', 'topUpCode5', 0x0143, Zcl.DataType.OCTET_STR],
    ['sePrepayment', 'debtLabel1', 0x0210, Zcl.DataType.OCTET_STR],
    ['sePrepayment', 'debtRecoveryTopUpPercentage3', 0x0239, Zcl.DataType.UINT16],
    ['sePrepayment', 'previousMonth13CostConsumptionReceived', 0x055b, Zcl.DataType.UINT48],
    ['sePrice', 'tier1PriceLabel', 0x0000, Zcl.DataType.OCTET_STR],
    ['sePrice', 'block1Threshold', 0x0100, Zcl.DataType.UINT48],
    ['sePrice', 'standingCharge', 0x0301, Zcl.DataType.UINT32],
    ['sePrice', 'noTierBlock1Price', 0x0400, Zcl.DataType.UINT32],
    ['sePrice', 'tier1Block1Price', 0x0410, Zcl.DataType.UINT32],
    ['sePrice', 'tier15Block16Price', 0x04ff, Zcl.DataType.UINT32],
    ['sePrice', 'tariffLabel', 0x0610, Zcl.DataType.OCTET_STR],
    ['seKeyEstablishment', 'keyEstablishmentSuite', 0x0000, Zcl.DataType.ENUM16],
  ])('%s attribute %s is %i of type %i', (clusterName, name, id, type) => {
    expect(cluster(clusterName).attributes[name]).toMatchObject({ ID: id, type });
  });

  it.each([
    ['sePrepayment', 'clientToServer', 'selectAvailableEmergencyCredit', 0x00],
    ['sePrepayment', 'clientToServer', 'consumerTopUp', 0x04],
    ['sePrepayment', 'clientToServer', 'setOverallDebtCap', 0x0c],
    ['sePrepayment', 'serverToClient', 'publishPrepaySnapshot', 0x01],
    ['sePrepayment', 'serverToClient', 'consumerTopUpResponse', 0x03],
    ['sePrepayment', 'serverToClient', 'publishDebtLog', 0x06],
    ['sePrice', 'clientToServer', 'getCurrentPrice', 0x00],
    ['sePrice', 'clientToServer', 'priceAcknowledgement', 0x02],
    ['sePrice', 'clientToServer', 'getTariffInformation', 0x06],
    ['sePrice', 'serverToClient', 'publishPrice', 0x00],
    ['sePrice', 'serverToClient', 'publishTariffInformation', 0x04],
    ['sePrice', 'serverToClient', 'cancelTariff', 0x0e],
    ['seMessaging', 'serverToClient', 'displayMessage', 0x00],
    ['seMessaging', 'serverToClient', 'cancelAllMessages', 0x03],
    ['seMessaging', 'clientToServer', 'messageConfirmation', 0x01],
    ['seKeyEstablishment', 'clientToServer', 'initiateKeyEstablishmentRequest', 0x00],
    ['seKeyEstablishment', 'serverToClient', 'confirmKeyDataResponse', 0x02],
    ['seKeyEstablishment', 'serverToClient', 'terminateKeyEstablishment', 0x03],
  ])('%s %s command %s is %i', (clusterName, direction, name, id) => {
    const table = direction === 'clientToServer' ? cluster(clusterName).commands : cluster(clusterName).commandsResponse;
    expect(table[name]?.ID).toBe(id);
  });

  it('has no attribute id defined twice in a cluster', () => {
    for (const c of Object.values(customClusters)) {
      const ids = Object.values(c.attributes).map((a) => a.ID);
      expect(new Set(ids).size, c.name).toBe(ids.length);
    }
  });

  /** A value for every field type the Smart Energy definitions use. */
  function sample(type: number): unknown {
    const T = Zcl.DataType;
    switch (type) {
      case T.UINT8: case T.ENUM8: case T.BITMAP8: return 0x12;
      case T.UINT16: case T.ENUM16: case T.BITMAP16: return 0x1234;
      case T.UINT24: return 0x123456;
      case T.UINT32: case T.UTC: case T.BITMAP32: return 0x12345678;
      case T.INT32: return -0x1234567;
      case T.UINT48: return 0x123456789abc;
      case T.OCTET_STR: return Uint8Array.of(1, 2, 3);
      case T.CHAR_STR: return 'Top up £10';
      case Zcl.BuffaloZclDataType.BUFFER: return Uint8Array.of(9, 8, 7, 6);
      default: throw new Error(`no sample for type ${type}`);
    }
  }

  const everyCommand = Object.values(customClusters).flatMap((c) => [
    ...Object.values(c.commands).map((cmd) => [c.name, 'clientToServer' as ZclDirection, cmd] as const),
    ...Object.values(c.commandsResponse).map((cmd) => [c.name, 'serverToClient' as ZclDirection, cmd] as const),
  ]);

  it.each(everyCommand.map(([c, d, cmd]) => [`${c} ${d} ${cmd.name}`, c, d, cmd] as const))('%s round-trips every field', (_, clusterName, direction, command) => {
    const payload = Object.fromEntries(command.parameters.map((p) => [p.name, sample(p.type)]));
    const frame = encodeZcl({ cluster: clusterName, command: command.name, frameType: 'specific', direction, seq: 0x42, payload });
    expect(frame[2]).toBe(command.ID);
    const decoded = decodeZcl(frame, cluster(clusterName).ID);
    expect(decoded).toMatchObject({ clusterName, commandName: command.name, header: { direction, seq: 0x42, commandId: command.ID } });
    expect(plain(decoded.payload)).toEqual(plain(payload));
  });

  it('lays out Consumer Top Up and its response as SE 1.4 does', () => {
    const topUp = encodeZcl({
      cluster: 'sePrepayment',
      command: 'consumerTopUp',
      frameType: 'specific',
      direction: 'clientToServer',
      seq: 5,
      payload: { originatingDevice: 2, topUpCode: new TextEncoder().encode('12345') },
    });
    expect(hex(topUp)).toBe('010504' + '02' + '05' + '3132333435');
    const response = encodeZcl({
      cluster: 'sePrepayment',
      command: 'consumerTopUpResponse',
      frameType: 'specific',
      direction: 'serverToClient',
      seq: 5,
      payload: { resultType: 0x00, topUpValue: 1000, sourceOfTopUp: 2, creditRemaining: -250 },
    });
    expect(hex(response)).toBe('090503' + '00' + 'e8030000' + '02' + '06ffffff');
  });

  it('accepts an SE 1.0 Publish Price without the later optional fields, but refuses a gap in them', () => {
    const base = {
      providerId: 1, rateLabel: Uint8Array.of(0x41), issuerEventId: 2, currentTime: 3, unitOfMeasure: 0, currency: 826,
      priceTrailingDigitAndPriceTier: 0x21, numberOfPriceTiersAndRegisterTier: 0x11, startTime: 0, durationInMinutes: 0xffff, price: 1500,
    };
    const spec = { cluster: 'sePrice', command: 'publishPrice', frameType: 'specific', direction: 'serverToClient', seq: 1 } as const;
    const short = encodeZcl({ ...spec, payload: base });
    // header, provider, label 'A' with its length byte, event, time, unit, currency, two bitmaps, start, duration, price
    expect(short.length).toBe(3 + 4 + 2 + 4 + 4 + 1 + 2 + 1 + 1 + 4 + 2 + 4);
    expect(plain(decodeZcl(short, 0x0700).payload)).toEqual(plain(base));
    expect(() => encodeZcl({ ...spec, payload: { ...base, generationPrice: 5 } })).toThrow(/generationPrice cannot follow the omitted optional field priceRatio/);
  });
});

describe('encodeZcl / decodeZcl', () => {
  it('writes the manufacturer code and the disable-default-response bit into the header', () => {
    const frame = encodeZcl({
      cluster: 'seTunneling', command: 'closeTunnel', frameType: 'specific', direction: 'clientToServer',
      seq: 0x77, payload: { tunnelId: 0x0102 }, manufacturerCode: 0x1234, disableDefaultResponse: true,
    });
    expect(hex(frame)).toBe('15' + '3412' + '77' + '01' + '0201');
    expect(decodeZcl(frame, 0x0704).header).toEqual({
      frameType: 'specific', direction: 'clientToServer', disableDefaultResponse: true, manufacturerCode: 0x1234, seq: 0x77, commandId: 1,
    });
  });

  it('carries a 3,000-byte payload whole, which herdsman alone truncates to a 250-byte frame', () => {
    const gbcs = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
    const frame = encodeZcl({ cluster: 'seTunneling', command: 'transferData', frameType: 'specific', direction: 'serverToClient', seq: 1, payload: { tunnelId: 7, data: gbcs } });
    expect(frame.length).toBe(3 + 2 + 3000);
    expect((decodeZcl(frame, 0x0704).payload as { data: Uint8Array }).data).toEqual(gbcs);

    const herdsmanOnly = Zcl.Frame.create(1, 1, false, undefined, 1, 'transferData', 'seTunneling', { tunnelId: 7, data: Buffer.from(gbcs) }, {}).toBuffer();
    expect(herdsmanOnly.length).toBe(250);
  });

  it('turns reserved "no value" markers into NaN, as herdsman does', () => {
    const frame = bytes('01 01 01 00 3412 0100 ffffffff');
    expect((decodeZcl(frame, 0x0019).payload as { fileVersion: number }).fileVersion).toBeNaN();
    expect((decodeZcl(frame, 0x0019, { keepNoValueMarkers: true }).payload as { fileVersion: number }).fileVersion).toBe(0xffffffff);
  });

  it('ignores bytes after the last field', () => {
    expect(decodeZcl(bytes('01 01 01 0201 ff ff'), 0x0704).payload).toEqual({ tunnelId: 0x0102 });
  });

  it.each([
    ['an unknown cluster name', { cluster: 'seNoSuchCluster', command: 'read' }, /seNoSuchCluster/],
    ['an unknown command', { command: 'noSuchCommand' }, /noSuchCommand/],
    ['a command from the other direction', { command: 'requestTunnelRsp' }, /requestTunnelRsp/],
    ['a missing field', { payload: {} }, /missing field tunnelId/],
    ['an unknown field', { payload: { tunnelId: 1, tunnelID: 1 } }, /no field tunnelID/],
    ['a value too big for its type', { payload: { tunnelId: 0x10000 } }, /tunnelId/],
    ['a fraction', { payload: { tunnelId: 1.5 } }, /not a whole number/],
    ['a sequence number above 255', { seq: 256 }, /seq/],
    ['manufacturer code 0', { manufacturerCode: 0 }, /manufacturer code 0x0000/],
  ])('refuses %s with ZclEncodeError', (_, change, message) => {
    const spec = { cluster: 'seTunneling', command: 'closeTunnel', frameType: 'specific', direction: 'clientToServer', seq: 1, payload: { tunnelId: 1 }, ...change } as const;
    expect(() => encodeZcl(spec)).toThrow(ZclEncodeError);
    expect(() => encodeZcl(spec)).toThrow(message);
  });

  it('refuses a NaN attribute value in a Read Attributes response rather than writing 0', () => {
    expect(() =>
      encodeZcl({ cluster: 'seMetering', command: 'readRsp', frameType: 'global', direction: 'serverToClient', seq: 1, payload: [{ attrId: 0, status: 0, dataType: 0x25, attrData: Number.NaN }] }),
    ).toThrow(ZclEncodeError);
  });

  it.each([
    ['an empty frame', '', 0x0704, 0, /3-byte ZCL header/],
    ['a truncated header', '0901', 0x0704, 0, /3-byte ZCL header/],
    ['a manufacturer-specific header without its code', '0d3412', 0x0704, 0, /5-byte ZCL header/],
    ['a reserved frame type', '030100', 0x0704, 0, /frame type/],
    ['an unknown cluster-specific command', '01017f', 0x0704, 2, /command of cluster seTunneling/],
    ['a command of a cluster nobody defines', '010100', 0x1234, 2, /command of cluster/],
    ['an unknown global command', '0001ee', 0x0702, 2, /global/],
    ['a field cut short', '0901050034', 0x0019, 4, /genOta.imageBlockResponse.manufacturerCode/],
    ['an octet string running past the end', '01010402053132', 0x0705, 4, /sePrepayment.consumerTopUp.topUpCode/],
    ['a Read Attributes request with half an attribute id', '00010000', 0x0702, 3, /read payload/],
    ['an attribute value of an unknown data type', '0801010000000599', 0x0702, 7, /readRsp payload/],
  ])('rejects %s with ZclDecodeError', (_, frame, clusterId, offset, expected) => {
    const error = decodeError(() => decodeZcl(bytes(frame), clusterId));
    expect(error.offset).toBe(offset);
    expect(error.expected).toMatch(expected);
  });

  it('decodes random bytes or refuses them with ZclDecodeError, nothing else', () => {
    const clusterIds = [0x0000, 0x0005, 0x0019, 0x0300, 0x0700, 0x0702, 0x0703, 0x0704, 0x0705, 0x0800, 0xfc00];
    const decoders: ((b: Uint8Array, id: number) => unknown)[] = [
      decodeZcl,
      (b) => decodeOta(b),
      (b) => decodeTunnel(b),
      (b) => unwrapTunnel(b),
      decodeReadAttributes,
      decodeReadAttributesResponse,
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...clusterIds), fc.boolean(), (frame, clusterId, validType) => {
        if (validType && frame.length > 0) frame[0] = frame[0]! & 0x1d;
        for (const decode of decoders) {
          try {
            decode(frame, clusterId);
          } catch (error) {
            if (!(error instanceof ZclDecodeError)) throw error;
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('Tunneling (0x0704)', () => {
  it('lays out Transfer Data in both directions as the spec does', () => {
    const gbcs = bytes('dead');
    expect(hex(wrapGbcsInTunnel(0x0102, 0x2a, gbcs, 'serverToClient'))).toBe('09' + '2a' + '01' + '0201' + 'dead');
    expect(hex(wrapGbcsInTunnel(0x0102, 0x2a, gbcs, 'clientToServer'))).toBe('01' + '2a' + '02' + '0201' + 'dead');
  });

  it('opens a GBCS tunnel with protocol 6, manufacturer 0xFFFF, no flow control, 1500-octet transfers', () => {
    const frame = encodeTunnel({ command: 'requestTunnel', ...GBCS_TUNNEL }, 9);
    expect(hex(frame)).toBe('01' + '09' + '00' + '06' + 'ffff' + '00' + 'dc05');
    expect(decodeTunnel(frame).message).toEqual({ command: 'requestTunnel', ...GBCS_TUNNEL });
  });

  const messages: TunnelMessage[] = [
    { command: 'requestTunnel', protocolId: 200, manufacturerCode: 0x1234, flowControlSupport: true, maxIncomingTransferSize: 0xffff },
    { command: 'requestTunnelResponse', tunnelId: 0xffff, status: 1, maxIncomingTransferSize: 1500 },
    { command: 'closeTunnel', tunnelId: 3 },
    { command: 'closureNotification', tunnelId: 0xffff },
    { command: 'transferData', direction: 'clientToServer', tunnelId: 3, data: new Uint8Array() },
    { command: 'transferDataError', direction: 'serverToClient', tunnelId: 3, status: 0xff },
    { command: 'transferDataError', direction: 'clientToServer', tunnelId: 3, status: 2 },
    { command: 'ackTransferData', direction: 'serverToClient', tunnelId: 3, numberOfBytesLeft: 0xffff },
    { command: 'readyData', direction: 'clientToServer', tunnelId: 3, numberOfOctetsLeft: 10 },
  ];

  it.each(messages.map((m) => [`${m.command}${'direction' in m ? ` ${m.direction}` : ''}`, m] as const))('%s round-trips', (_, message) => {
    const { header, message: decoded } = decodeTunnel(encodeTunnel(message, 200, { disableDefaultResponse: true }));
    expect(decoded).toEqual(message);
    expect(header).toMatchObject({ seq: 200, disableDefaultResponse: true });
  });

  it('round-trips Transfer Data with any tunnel id, direction and GBCS message up to 4 KB', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xff }),
        fc.uint8Array({ maxLength: 4096 }),
        fc.constantFrom<ZclDirection>('clientToServer', 'serverToClient'),
        (tunnelId, seq, data, direction) => {
          expect(unwrapTunnel(wrapGbcsInTunnel(tunnelId, seq, data, direction))).toEqual({ tunnelId, seq, direction, data });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses to unwrap anything but Transfer Data', () => {
    const error = decodeError(() => unwrapTunnel(encodeTunnel({ command: 'closeTunnel', tunnelId: 1 }, 1)));
    expect(error).toMatchObject({ offset: 2, found: 'closeTunnel' });
  });

  it('refuses a flow-control flag that is not a boolean', () => {
    const error = decodeError(() => decodeTunnel(bytes('01 09 00 06 ffff 02 dc05')));
    expect(error).toMatchObject({ offset: 6, found: '2' });
  });
});

describe('Read Attributes on Metering and Prepayment', () => {
  it('builds a Metering read request by attribute name', () => {
    const frame = encodeReadAttributes({ cluster: 'seMetering', attributes: ['currentSummDelivered', 'instantaneousDemand', 'unitOfMeasure', 'multiplier', 'divisor'], seq: 3 });
    expect(hex(frame)).toBe('00' + '03' + '00' + '0000' + '0004' + '0003' + '0103' + '0203');
    expect(decodeReadAttributes(frame, 0x0702)).toMatchObject({
      clusterName: 'seMetering',
      attributes: [
        { id: 0x0000, name: 'currentSummDelivered' },
        { id: 0x0400, name: 'instantaneousDemand' },
        { id: 0x0300, name: 'unitOfMeasure' },
        { id: 0x0301, name: 'multiplier' },
        { id: 0x0302, name: 'divisor' },
      ],
    });
  });

  it('answers with values and types, and UNSUPPORTED_ATTRIBUTE for what the meter lacks', () => {
    const frame = encodeReadAttributesResponse({
      cluster: 'seMetering',
      seq: 3,
      requested: ['currentSummDelivered', 'instantaneousDemand', 'divisor', 0x7777],
      values: { currentSummDelivered: 2 ** 40 + 1, instantaneousDemand: -1500 },
    });
    expect(hex(frame)).toBe('08' + '03' + '01' + '0000' + '00' + '25' + '010000000001' + '0004' + '00' + '2a' + '24faff' + '0203' + '86' + '7777' + '86');
    expect(decodeReadAttributesResponse(frame, 0x0702).records).toEqual([
      { id: 0x0000, name: 'currentSummDelivered', status: 0, dataType: Zcl.DataType.UINT48, value: 2 ** 40 + 1 },
      { id: 0x0400, name: 'instantaneousDemand', status: 0, dataType: Zcl.DataType.INT24, value: -1500 },
      { id: 0x0302, name: 'divisor', status: 0x86 },
      { id: 0x7777, status: 0x86 },
    ]);
  });

  it('reads Prepayment credit, emergency credit and the last top-up code', () => {
    const values = { creditRemaining: -1234, emergencyCreditRemaining: 500, creditStatus: 0x05, topUpCode1: new TextEncoder().encode('73829461029384756102') };
    const request = encodeReadAttributes({ cluster: 'sePrepayment', attributes: Object.keys(values), seq: 8 });
    const asked = decodeReadAttributes(request, 0x0705).attributes.map((a) => a.name!);
    const response = encodeReadAttributesResponse({ cluster: 'sePrepayment', seq: 8, requested: asked, values });
    const records = decodeReadAttributesResponse(response, 0x0705).records;
    expect(Object.fromEntries(records.map((r) => [r.name, r.value]))).toEqual(values);
    expect(records.every((r) => r.status === 0)).toBe(true);
  });

  it('refuses an attribute name the cluster does not define', () => {
    expect(() => encodeReadAttributes({ cluster: 'sePrepayment', attributes: ['creditRemainin'], seq: 1 })).toThrow(/no attribute named creditRemainin/);
  });

  it('refuses to read a response out of a request frame', () => {
    const request = encodeReadAttributes({ cluster: 'seMetering', attributes: [0], seq: 1 });
    expect(decodeError(() => decodeReadAttributesResponse(request, 0x0702))).toMatchObject({ offset: 2, found: 'global read' });
  });
});

describe('OTA Upgrade (0x0019)', () => {
  const image = { manufacturerCode: 0x1234, imageType: 0x0001, fileVersion: 0x01020304 };

  it('has the statuses herdsman uses', () => {
    for (const [name, value] of Object.entries(OtaStatus)) expect(Zcl.Status[name as keyof typeof Zcl.Status], name).toBe(value);
  });

  it('sends a 64-byte block with 17 bytes of overhead', () => {
    const data = Uint8Array.from({ length: 64 }, (_, i) => i);
    const frame = encodeOta({ command: 'imageBlockResponse', status: OtaStatus.SUCCESS, ...image, fileOffset: 0x40, data }, 9);
    expect(IMAGE_BLOCK_RESPONSE_OVERHEAD).toBe(17);
    expect(frame.length).toBe(17 + 64);
    expect(hex(frame.subarray(0, 17))).toBe('09' + '09' + '05' + '00' + '3412' + '0100' + '04030201' + '40000000' + '40');
    expect(frame.subarray(17)).toEqual(data);
  });

  it('sends WAIT_FOR_DATA with the times and ABORT alone', () => {
    const wait = encodeOta({ command: 'imageBlockResponse', status: OtaStatus.WAIT_FOR_DATA, currentTime: 100, requestTime: 160, minimumBlockPeriod: 250 }, 9);
    expect(hex(wait)).toBe('09' + '09' + '05' + '97' + '64000000' + 'a0000000' + 'fa00');
    expect(hex(encodeOta({ command: 'imageBlockResponse', status: OtaStatus.ABORT }, 9))).toBe('09090595');
  });

  it('lays out an Image Block Request with the node address and minimum block period', () => {
    const frame = encodeOta(
      { command: 'imageBlockRequest', ...image, fileOffset: 10, maximumDataSize: 50, requestNodeAddress: '0x0011223344556677', minimumBlockPeriod: 300 },
      2,
    );
    expect(hex(frame)).toBe('01' + '02' + '03' + '03' + '3412' + '0100' + '04030201' + '0a000000' + '32' + '7766554433221100' + '2c01');
    expect(hex(encodeOta({ command: 'imageBlockRequest', ...image, fileOffset: 10, maximumDataSize: 50 }, 2)).slice(6, 8)).toBe('00');
  });

  const messages: OtaMessage[] = [
    { command: 'imageNotify', payloadType: 0, queryJitter: 100 },
    { command: 'imageNotify', payloadType: 1, queryJitter: 1, manufacturerCode: 0xffff },
    { command: 'imageNotify', payloadType: 2, queryJitter: 50, manufacturerCode: 0x1234, imageType: 0xffff },
    { command: 'imageNotify', payloadType: 3, queryJitter: 50, ...image },
    { command: 'queryNextImageRequest', ...image },
    { command: 'queryNextImageRequest', ...image, fileVersion: 0xffffffff, hardwareVersion: 0xffff },
    { command: 'queryNextImageResponse', status: OtaStatus.SUCCESS, ...image, imageSize: 200_000 },
    { command: 'queryNextImageResponse', status: OtaStatus.NO_IMAGE_AVAILABLE },
    { command: 'queryNextImageResponse', status: OtaStatus.NOT_AUTHORIZED },
    { command: 'imageBlockRequest', ...image, fileOffset: 0, maximumDataSize: 0xff },
    { command: 'imageBlockRequest', ...image, fileOffset: 0, maximumDataSize: 48, minimumBlockPeriod: 0 },
    { command: 'imagePageRequest', ...image, fileOffset: 64, maximumDataSize: 48, pageSize: 1024, responseSpacing: 250 },
    { command: 'imagePageRequest', ...image, fileOffset: 64, maximumDataSize: 48, pageSize: 1024, responseSpacing: 250, requestNodeAddress: '0xabcdef0123456789' },
    { command: 'imageBlockResponse', status: OtaStatus.SUCCESS, ...image, fileOffset: 0, data: new Uint8Array() },
    { command: 'imageBlockResponse', status: OtaStatus.WAIT_FOR_DATA, currentTime: 0, requestTime: 0xffffffff, minimumBlockPeriod: 0xffff },
    { command: 'imageBlockResponse', status: OtaStatus.ABORT },
    { command: 'upgradeEndRequest', status: OtaStatus.SUCCESS, ...image },
    { command: 'upgradeEndRequest', status: OtaStatus.INVALID_IMAGE, ...image },
    { command: 'upgradeEndRequest', status: OtaStatus.REQUIRE_MORE_IMAGE, ...image },
    { command: 'upgradeEndRequest', status: OtaStatus.ABORT, ...image },
    { command: 'upgradeEndResponse', ...image, currentTime: 0x2b000000, upgradeTime: 0xffffffff },
    { command: 'queryDeviceSpecificFileRequest', requestNodeAddress: '0x0011223344556677', manufacturerCode: 0x1234, imageType: 0xffc0, fileVersion: 1, zigbeeStackVersion: 2 },
    { command: 'queryDeviceSpecificFileResponse', status: OtaStatus.SUCCESS, manufacturerCode: 0x1234, imageType: 0xfffe, fileVersion: 1, imageSize: 100 },
    { command: 'queryDeviceSpecificFileResponse', status: OtaStatus.NO_IMAGE_AVAILABLE },
  ];

  it.each(messages.map((m, i) => [`${i} ${m.command}`, m] as const))('%s round-trips', (_, message) => {
    expect(decodeOta(encodeOta(message, 17)).message).toEqual(message);
  });

  it('decodes a 0xFFFFFFFF upgrade time as the marker it is, not NaN', () => {
    const frame = encodeOta({ command: 'upgradeEndResponse', ...image, currentTime: 0, upgradeTime: 0xffffffff }, 1);
    expect(hex(frame.subarray(-4))).toBe('ffffffff');
    expect(decodeOta(frame).message).toMatchObject({ upgradeTime: 0xffffffff });
  });

  it.each([
    ['a block whose dataSize disagrees with its data', '0909050034120100040302014000000040' + '0102', 17, /64 data bytes/],
    ['a block request announcing a minimum block period it lacks', '0102030234120100040302010a00000032', 17, /minimumBlockPeriod/],
    ['a block response status other than SUCCESS, WAIT_FOR_DATA or ABORT', '09090580', 3, /SUCCESS, WAIT_FOR_DATA or ABORT/],
    ['an Upgrade End Request status the spec does not allow', '01010680341201000403020100', 3, /upgradeEndRequest status/],
    ['an Image Notify payload type above 3', '09010004' + '32' + '3412' + '0100' + '04030201', 3, /payloadType/],
    ['a global frame', '0001000000', 0, /cluster-specific OTA command/],
  ])('rejects %s', (_, frame, offset, expected) => {
    const error = decodeError(() => decodeOta(bytes(frame)));
    expect(error.offset).toBe(offset);
    expect(error.expected).toMatch(expected);
  });

  it('refuses a block of more than 255 bytes and a malformed node address', () => {
    expect(() => encodeOta({ command: 'imageBlockResponse', status: OtaStatus.SUCCESS, ...image, fileOffset: 0, data: new Uint8Array(256) }, 1)).toThrow(ZclEncodeError);
    expect(() => encodeOta({ command: 'imageBlockRequest', ...image, fileOffset: 0, maximumDataSize: 1, requestNodeAddress: '0x12' }, 1)).toThrow(/requestNodeAddress/);
  });

  const u16 = fc.integer({ min: 0, max: 0xffff });
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const u8 = fc.integer({ min: 0, max: 0xff });
  const imageTypeArb = fc.integer({ min: 0, max: 0xffbf });
  const imageIdArb = fc.record({ manufacturerCode: u16, imageType: imageTypeArb, fileVersion: u32 });
  const eui64 = fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => `0x${hex(b)}`);
  const optional = <T,>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  const withoutUndefined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

  const otaArb: fc.Arbitrary<OtaMessage> = fc.oneof(
    fc.record({ command: fc.constant('imageNotify' as const), payloadType: fc.constant(3 as const), queryJitter: u8, manufacturerCode: u16, imageType: u16, fileVersion: u32 }),
    fc.tuple(imageIdArb, optional(u16)).map(([id, hardwareVersion]) => withoutUndefined({ command: 'queryNextImageRequest' as const, ...id, hardwareVersion })),
    fc.tuple(imageIdArb, u32).map(([id, imageSize]) => ({ command: 'queryNextImageResponse' as const, status: OtaStatus.SUCCESS, ...id, imageSize })),
    fc
      .tuple(imageIdArb, u32, u8, optional(eui64), optional(u16))
      .map(([id, fileOffset, maximumDataSize, requestNodeAddress, minimumBlockPeriod]) =>
        withoutUndefined({ command: 'imageBlockRequest' as const, ...id, fileOffset, maximumDataSize, requestNodeAddress, minimumBlockPeriod }),
      ),
    fc
      .tuple(imageIdArb, u32, u8, u16, u16, optional(eui64))
      .map(([id, fileOffset, maximumDataSize, pageSize, responseSpacing, requestNodeAddress]) =>
        withoutUndefined({ command: 'imagePageRequest' as const, ...id, fileOffset, maximumDataSize, pageSize, responseSpacing, requestNodeAddress }),
      ),
    fc
      .tuple(imageIdArb, u32, fc.uint8Array({ maxLength: 255 }))
      .map(([id, fileOffset, data]) => ({ command: 'imageBlockResponse' as const, status: OtaStatus.SUCCESS, ...id, fileOffset, data })),
    fc
      .tuple(u32, u32, u16)
      .map(([currentTime, requestTime, minimumBlockPeriod]) => ({ command: 'imageBlockResponse' as const, status: OtaStatus.WAIT_FOR_DATA, currentTime, requestTime, minimumBlockPeriod })),
    fc
      .tuple(imageIdArb, fc.constantFrom(OtaStatus.SUCCESS, OtaStatus.INVALID_IMAGE, OtaStatus.REQUIRE_MORE_IMAGE, OtaStatus.ABORT))
      .map(([id, status]) => ({ command: 'upgradeEndRequest' as const, status, ...id })),
    fc
      .tuple(fc.record({ manufacturerCode: u16, imageType: u16, fileVersion: u32 }), u32, u32)
      .map(([id, currentTime, upgradeTime]) => ({ command: 'upgradeEndResponse' as const, ...id, currentTime, upgradeTime })),
  );

  it('round-trips every OTA command with random fields', () => {
    fc.assert(
      fc.property(otaArb, u8, fc.boolean(), (message, seq, disableDefaultResponse) => {
        const { header, message: decoded } = decodeOta(encodeOta(message, seq, { disableDefaultResponse }));
        expect(decoded).toEqual(message);
        expect(header).toMatchObject({ seq, disableDefaultResponse });
      }),
      { numRuns: 500 },
    );
  });
});
