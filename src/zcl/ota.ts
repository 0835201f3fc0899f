/**
 * OTA Upgrade cluster (0x0019) commands as typed messages over herdsman's genOta definitions. Numbers are the values
 * on the wire: herdsman's NaN for "no value" markers is turned back into the marker (an Upgrade End Response
 * upgradeTime of 0xFFFFFFFF means "wait for an upgrade command", not "unknown").
 *
 * Image Block Response: herdsman selects the fields by status (SUCCESS: file fields and data; WAIT_FOR_DATA: current
 * time, request time, minimum block period; anything else: status only) in both directions, but reads the data as
 * "everything to the end of the frame" and never compares it with the dataSize byte. We derive dataSize from the data
 * when encoding and reject a frame whose dataSize disagrees with the bytes that follow it when decoding.
 *
 * Image Block Request: herdsman skips the minimum block period when fewer than 2 bytes remain even if field control
 * bit 1 announces it (a workaround for one vendor). We reject such a frame: a harness should report it, not hide it.
 */
import { commandIdOffset, decodeZcl, encodeZcl, hex, payloadOffset, type DecodedZcl, type ZclDirection, type ZclHeaderFields } from './codec.ts';
import { ZclDecodeError, ZclEncodeError } from './errors.ts';

export const OTA_CLUSTER_ID = 0x0019;

export const OtaStatus = {
  SUCCESS: 0x00,
  NOT_AUTHORIZED: 0x7e,
  MALFORMED_COMMAND: 0x80,
  ABORT: 0x95,
  INVALID_IMAGE: 0x96,
  WAIT_FOR_DATA: 0x97,
  NO_IMAGE_AVAILABLE: 0x98,
  REQUIRE_MORE_IMAGE: 0x99,
} as const;
type Status = typeof OtaStatus;

/** Image Block Response overhead: 3-byte ZCL header + status, manufacturer code, image type, file version, offset, size. */
export const IMAGE_BLOCK_RESPONSE_OVERHEAD = 3 + 1 + 2 + 2 + 4 + 4 + 1;

export type ImageNotify = { command: 'imageNotify'; queryJitter: number } & (
  | { payloadType: 0 }
  | { payloadType: 1; manufacturerCode: number }
  | { payloadType: 2; manufacturerCode: number; imageType: number }
  | { payloadType: 3; manufacturerCode: number; imageType: number; fileVersion: number }
);

interface ImageId {
  manufacturerCode: number;
  imageType: number;
  fileVersion: number;
}

export interface QueryNextImageRequest extends ImageId {
  command: 'queryNextImageRequest';
  hardwareVersion?: number;
}

type ImageAvailable = ImageId & { status: Status['SUCCESS']; imageSize: number };
type NoImage = { status: Status['NO_IMAGE_AVAILABLE'] | Status['NOT_AUTHORIZED'] };

export type QueryNextImageResponse = { command: 'queryNextImageResponse' } & (ImageAvailable | NoImage);

export interface ImageBlockRequest extends ImageId {
  command: 'imageBlockRequest';
  fileOffset: number;
  maximumDataSize: number;
  /** EUI-64 as '0x' and 16 hex digits. */
  requestNodeAddress?: string;
  minimumBlockPeriod?: number;
}

export interface ImagePageRequest extends ImageId {
  command: 'imagePageRequest';
  fileOffset: number;
  maximumDataSize: number;
  pageSize: number;
  responseSpacing: number;
  requestNodeAddress?: string;
}

export type ImageBlockResponse = { command: 'imageBlockResponse' } & (
  | (ImageId & { status: Status['SUCCESS']; fileOffset: number; data: Uint8Array })
  | { status: Status['WAIT_FOR_DATA']; currentTime: number; requestTime: number; minimumBlockPeriod: number }
  | { status: Status['ABORT'] }
);

export interface UpgradeEndRequest extends ImageId {
  command: 'upgradeEndRequest';
  status: Status['SUCCESS'] | Status['INVALID_IMAGE'] | Status['REQUIRE_MORE_IMAGE'] | Status['ABORT'];
}

export interface UpgradeEndResponse extends ImageId {
  command: 'upgradeEndResponse';
  currentTime: number;
  /** 0xFFFFFFFF: wait for a later command before upgrading. */
  upgradeTime: number;
}

export interface QueryDeviceSpecificFileRequest {
  command: 'queryDeviceSpecificFileRequest';
  requestNodeAddress: string;
  manufacturerCode: number;
  imageType: number;
  fileVersion: number;
  zigbeeStackVersion: number;
}

export type QueryDeviceSpecificFileResponse = { command: 'queryDeviceSpecificFileResponse' } & (ImageAvailable | NoImage);

export type OtaMessage =
  | ImageNotify
  | QueryNextImageRequest
  | QueryNextImageResponse
  | ImageBlockRequest
  | ImagePageRequest
  | ImageBlockResponse
  | UpgradeEndRequest
  | UpgradeEndResponse
  | QueryDeviceSpecificFileRequest
  | QueryDeviceSpecificFileResponse;

export type OtaCommand = OtaMessage['command'];

export interface OtaFrame {
  header: ZclHeaderFields;
  message: OtaMessage;
}

export interface OtaEncodeOptions {
  disableDefaultResponse?: boolean;
  manufacturerCode?: number;
}

const SERVER_TO_CLIENT: ReadonlySet<OtaCommand> = new Set([
  'imageNotify',
  'queryNextImageResponse',
  'imageBlockResponse',
  'upgradeEndResponse',
  'queryDeviceSpecificFileResponse',
]);

const UPGRADE_END_STATUSES: ReadonlySet<number> = new Set([OtaStatus.SUCCESS, OtaStatus.INVALID_IMAGE, OtaStatus.REQUIRE_MORE_IMAGE, OtaStatus.ABORT]);

const FIELD_CONTROL = { requestNodeAddress: 0b01, minimumBlockPeriod: 0b10, hardwareVersion: 0b01 } as const;

function checkEui64(address: string | undefined): void {
  if (address !== undefined && !/^0x[0-9a-fA-F]{16}$/.test(address)) {
    throw new ZclEncodeError(`requestNodeAddress must be '0x' and 16 hex digits, got ${JSON.stringify(address)}`);
  }
}

function imageResponsePayload(message: ImageAvailable | NoImage): Record<string, unknown> {
  if (message.status !== OtaStatus.SUCCESS) return { status: message.status };
  const { status, manufacturerCode, imageType, fileVersion, imageSize } = message;
  return { status, manufacturerCode, imageType, fileVersion, imageSize };
}

function toHerdsmanPayload(message: OtaMessage): Record<string, unknown> {
  switch (message.command) {
    case 'imageNotify': {
      const { command: _, ...fields } = message;
      if (![0, 1, 2, 3].includes(fields.payloadType)) throw new ZclEncodeError(`imageNotify payloadType must be 0..3, got ${fields.payloadType}`);
      return fields;
    }
    case 'queryNextImageRequest': {
      const { manufacturerCode, imageType, fileVersion, hardwareVersion } = message;
      const fieldControl = hardwareVersion === undefined ? 0 : FIELD_CONTROL.hardwareVersion;
      return { fieldControl, manufacturerCode, imageType, fileVersion, ...(hardwareVersion === undefined ? {} : { hardwareVersion }) };
    }
    case 'imageBlockRequest': {
      const { command: _, requestNodeAddress, minimumBlockPeriod, ...fields } = message;
      checkEui64(requestNodeAddress);
      const fieldControl =
        (requestNodeAddress === undefined ? 0 : FIELD_CONTROL.requestNodeAddress) | (minimumBlockPeriod === undefined ? 0 : FIELD_CONTROL.minimumBlockPeriod);
      return {
        fieldControl,
        ...fields,
        ...(requestNodeAddress === undefined ? {} : { requestNodeIeeeAddress: requestNodeAddress }),
        ...(minimumBlockPeriod === undefined ? {} : { minimumBlockPeriod }),
      };
    }
    case 'imagePageRequest': {
      const { command: _, requestNodeAddress, ...fields } = message;
      checkEui64(requestNodeAddress);
      const fieldControl = requestNodeAddress === undefined ? 0 : FIELD_CONTROL.requestNodeAddress;
      return { fieldControl, ...fields, ...(requestNodeAddress === undefined ? {} : { requestNodeIeeeAddress: requestNodeAddress }) };
    }
    case 'imageBlockResponse': {
      const { command: _, ...fields } = message;
      if (fields.status !== OtaStatus.SUCCESS) return fields;
      if (fields.data.length > 0xff) throw new ZclEncodeError(`imageBlockResponse data is ${fields.data.length} bytes; dataSize is one byte`);
      return { ...fields, dataSize: fields.data.length };
    }
    case 'queryDeviceSpecificFileRequest': {
      const { command: _, requestNodeAddress, ...fields } = message;
      checkEui64(requestNodeAddress);
      return { eui64: requestNodeAddress, ...fields };
    }
    case 'queryNextImageResponse':
    case 'queryDeviceSpecificFileResponse':
      return imageResponsePayload(message);
    case 'upgradeEndRequest':
    case 'upgradeEndResponse': {
      const { command: _, ...fields } = message;
      return fields;
    }
  }
}

export function encodeOta(message: OtaMessage, seq: number, options: OtaEncodeOptions = {}): Uint8Array {
  const direction: ZclDirection = SERVER_TO_CLIENT.has(message.command) ? 'serverToClient' : 'clientToServer';
  return encodeZcl({
    cluster: 'genOta',
    command: message.command,
    frameType: 'specific',
    direction,
    seq,
    payload: toHerdsmanPayload(message),
    disableDefaultResponse: options.disableDefaultResponse ?? false,
    ...(options.manufacturerCode === undefined ? {} : { manufacturerCode: options.manufacturerCode }),
  });
}

/** Reads fields from a decoded herdsman payload; every field the layout promised is there (herdsman read it). */
class Fields {
  constructor(
    private readonly payload: Record<string, unknown>,
    readonly start: number,
    readonly end: number,
  ) {}

  num(name: string): number {
    return this.payload[name] as number;
  }

  has(name: string): boolean {
    return this.payload[name] !== undefined;
  }

  str(name: string): string {
    return this.payload[name] as string;
  }

  bytes(name: string): Uint8Array {
    return this.payload[name] as Uint8Array;
  }

  imageId(): ImageId {
    return { manufacturerCode: this.num('manufacturerCode'), imageType: this.num('imageType'), fileVersion: this.num('fileVersion') };
  }
}

function imageResponse(f: Fields, what: string): ImageAvailable | NoImage {
  const status = f.num('status');
  if (status === OtaStatus.SUCCESS) return { status, ...f.imageId(), imageSize: f.num('imageSize') };
  if (status === OtaStatus.NO_IMAGE_AVAILABLE || status === OtaStatus.NOT_AUTHORIZED) return { status };
  throw new ZclDecodeError(`${what} status SUCCESS, NO_IMAGE_AVAILABLE or NOT_AUTHORIZED`, f.start, hex(status));
}

function imageBlockResponse(f: Fields): ImageBlockResponse {
  const status = f.num('status');
  if (status === OtaStatus.SUCCESS) {
    const data = f.bytes('data');
    const dataSize = f.num('dataSize');
    const dataStart = f.start + 14; // status 1, manufacturer 2, image type 2, version 4, offset 4, size 1
    if (data.length !== dataSize) throw new ZclDecodeError(`${dataSize} data bytes (dataSize)`, dataStart, `${data.length}`);
    return { command: 'imageBlockResponse', status, ...f.imageId(), fileOffset: f.num('fileOffset'), data };
  }
  if (status === OtaStatus.WAIT_FOR_DATA) {
    return {
      command: 'imageBlockResponse',
      status,
      currentTime: f.num('currentTime'),
      requestTime: f.num('requestTime'),
      minimumBlockPeriod: f.num('minimumBlockPeriod'),
    };
  }
  if (status === OtaStatus.ABORT) return { command: 'imageBlockResponse', status };
  throw new ZclDecodeError('imageBlockResponse status SUCCESS, WAIT_FOR_DATA or ABORT', f.start, hex(status));
}

function imageBlockRequest(f: Fields): ImageBlockRequest {
  const fieldControl = f.num('fieldControl');
  if (fieldControl & FIELD_CONTROL.minimumBlockPeriod && !f.has('minimumBlockPeriod')) {
    throw new ZclDecodeError('minimumBlockPeriod (field control bit 1 is set)', f.end, 'end of frame');
  }
  return {
    command: 'imageBlockRequest',
    ...f.imageId(),
    fileOffset: f.num('fileOffset'),
    maximumDataSize: f.num('maximumDataSize'),
    ...(f.has('requestNodeIeeeAddress') ? { requestNodeAddress: f.str('requestNodeIeeeAddress') } : {}),
    ...(f.has('minimumBlockPeriod') ? { minimumBlockPeriod: f.num('minimumBlockPeriod') } : {}),
  };
}

function toMessage(decoded: DecodedZcl, frameLength: number): OtaMessage {
  const f = new Fields(decoded.payload as Record<string, unknown>, payloadOffset(decoded.header), frameLength);
  switch (decoded.commandName) {
    case 'imageNotify': {
      const payloadType = f.num('payloadType');
      const queryJitter = f.num('queryJitter');
      if (payloadType === 0) return { command: 'imageNotify', payloadType, queryJitter };
      if (payloadType === 1) return { command: 'imageNotify', payloadType, queryJitter, manufacturerCode: f.num('manufacturerCode') };
      if (payloadType === 2) {
        return { command: 'imageNotify', payloadType, queryJitter, manufacturerCode: f.num('manufacturerCode'), imageType: f.num('imageType') };
      }
      if (payloadType === 3) return { command: 'imageNotify', payloadType, queryJitter, ...f.imageId() };
      throw new ZclDecodeError('imageNotify payloadType 0..3', f.start, hex(payloadType));
    }
    case 'queryNextImageRequest':
      return {
        command: 'queryNextImageRequest',
        ...f.imageId(),
        ...(f.has('hardwareVersion') ? { hardwareVersion: f.num('hardwareVersion') } : {}),
      };
    case 'queryNextImageResponse':
      return { command: 'queryNextImageResponse', ...imageResponse(f, 'queryNextImageResponse') };
    case 'imageBlockRequest':
      return imageBlockRequest(f);
    case 'imagePageRequest':
      return {
        command: 'imagePageRequest',
        ...f.imageId(),
        fileOffset: f.num('fileOffset'),
        maximumDataSize: f.num('maximumDataSize'),
        pageSize: f.num('pageSize'),
        responseSpacing: f.num('responseSpacing'),
        ...(f.has('requestNodeIeeeAddress') ? { requestNodeAddress: f.str('requestNodeIeeeAddress') } : {}),
      };
    case 'imageBlockResponse':
      return imageBlockResponse(f);
    case 'upgradeEndRequest': {
      const status = f.num('status');
      if (!UPGRADE_END_STATUSES.has(status)) {
        throw new ZclDecodeError('upgradeEndRequest status SUCCESS, INVALID_IMAGE, REQUIRE_MORE_IMAGE or ABORT', f.start, hex(status));
      }
      return { command: 'upgradeEndRequest', status: status as UpgradeEndRequest['status'], ...f.imageId() };
    }
    case 'upgradeEndResponse':
      return { command: 'upgradeEndResponse', ...f.imageId(), currentTime: f.num('currentTime'), upgradeTime: f.num('upgradeTime') };
    case 'queryDeviceSpecificFileRequest':
      return {
        command: 'queryDeviceSpecificFileRequest',
        requestNodeAddress: f.str('eui64'),
        ...f.imageId(),
        zigbeeStackVersion: f.num('zigbeeStackVersion'),
      };
    case 'queryDeviceSpecificFileResponse':
      return { command: 'queryDeviceSpecificFileResponse', ...imageResponse(f, 'queryDeviceSpecificFileResponse') };
    default:
      throw new ZclDecodeError('an OTA cluster command', commandIdOffset(decoded.header), decoded.commandName);
  }
}

/** Decode an OTA cluster frame into a typed message; any frame that is not one is a ZclDecodeError. */
export function decodeOta(bytes: Uint8Array): OtaFrame {
  const decoded = decodeZcl(bytes, OTA_CLUSTER_ID, { keepNoValueMarkers: true });
  if (decoded.header.frameType !== 'specific') {
    throw new ZclDecodeError('a cluster-specific OTA command', 0, `global command ${decoded.commandName}`);
  }
  return { header: decoded.header, message: toMessage(decoded, bytes.length) };
}
