/**
 * The GBZ payload as a tree: what the decoder produces, what the encoder writes back byte for byte, and what the
 * builders assemble. Wire order is big-endian in the GBZ framing and little-endian inside ZCL frames.
 */

/** The ZigBee Smart Energy profile id that opens every GBZ payload. */
export const GBZ_PROFILE_ID = 0x0109;

/** Bits of a component's extended header control field. */
export const CONTROL_LAST_COMPONENT = 0x01;
export const CONTROL_ENCRYPTED = 0x02;
export const CONTROL_FROM_DATE_TIME = 0x10;

/** Bits of the ZCL frame control field. */
export const FRAME_TYPE_MASK = 0x03;
export const FRAME_TYPE_GLOBAL = 0x00;
export const FRAME_TYPE_CLUSTER = 0x01;
export const FRAME_MANUFACTURER_SPECIFIC = 0x04;
export const FRAME_SERVER_TO_CLIENT = 0x08;
export const FRAME_DISABLE_DEFAULT_RESPONSE = 0x10;

/** Security control byte of an encrypted component's security header: authenticated and encrypted. */
export const SECURITY_CONTROL_ENCRYPTED = 0x31;

/**
 * One ZCL value. Integers, bitmaps, enums and UTC times (seconds since 2000-01-01) are numbers, or bigints when
 * wider than 48 bits; booleans are their byte. Strings are their bytes, or null for the "invalid" length (0xff).
 * Floats, dates, times of day, IEEE addresses and keys are their wire bytes.
 */
export type ZclScalar = number | bigint | Uint8Array | null;

export interface ScalarParam {
  name: string;
  dataType: number;
  value: ZclScalar;
}

/** A repeated group of parameters, e.g. the entries of a Publish Price Matrix. */
export interface GroupParam {
  name: string;
  items: Param[][];
}

export type Param = ScalarParam | GroupParam;

export interface AttributeValue {
  attributeId: number;
  dataType: number;
  value: ZclScalar;
}

/** A read attributes response record: a value when the status is SUCCESS (0x00), the status alone otherwise. */
export type ReadAttributeRecord = AttributeValue & { status: 0 } | { attributeId: number; status: number };

export interface WriteAttributeStatus {
  status: number;
  /** Absent when a single SUCCESS status stands for every record written. */
  attributeId?: number;
}

/** The ZCL payload after the ZCL header. `unparsed` holds what follows a part the decoder cannot size. */
export type ZclPayload =
  | { type: 'read-attributes'; attributeIds: number[] }
  | { type: 'read-attributes-response'; records: ReadAttributeRecord[]; unparsed?: Uint8Array }
  | { type: 'write-attributes'; records: AttributeValue[]; unparsed?: Uint8Array }
  | { type: 'write-attributes-response'; records: WriteAttributeStatus[] }
  | { type: 'default-response'; commandId: number; status: number }
  | { type: 'command'; params: Param[]; trailing?: Uint8Array }
  | { type: 'raw'; bytes: Uint8Array };

export interface ZclHeader {
  frameControl: number;
  /** Present when the frame control's manufacturer-specific bit is set. */
  manufacturerCode?: number;
  sequence: number;
  commandId: number;
}

/** What an encrypted component carries after its ZCL header, as sent. */
export interface ComponentEncryption {
  additionalHeaderControl: number;
  additionalFrameCounter: number;
  /** Security control (0x31) and invocation counter. */
  securityHeader: Uint8Array;
  ciphertextAndTag: Uint8Array;
}

export interface GbzComponent {
  /** The whole control byte; its flags must agree with `fromDateTime` and `encryption`. */
  control: number;
  clusterId: number;
  /** Seconds since 2000-01-01 UTC, big-endian on the wire. */
  fromDateTime?: number;
  header: ZclHeader;
  encryption?: ComponentEncryption;
  /** The ZCL payload; for an encrypted component, its decrypted form when decryption succeeded. */
  payload?: ZclPayload;
}

/** What follows an alert's code and timestamp. */
export type GbzAlertBody =
  | { type: 'components'; components: GbzComponent[] }
  /** 0x00CD: a future-dated command has been executed (alert 0x8F66 / 0x8F67). */
  | {
      type: 'future-dated';
      componentCount: number;
      messageCode: number;
      originatorCounter: bigint;
      clusterId: number;
      frameControl: number;
      commandId: number;
    }
  /** 0x00CF: GSME firmware distribution receipt, with the hash the meter calculated over the image. */
  | { type: 'firmware-distribution-receipt'; componentCount: number; manufacturerHash: Uint8Array }
  /** 0x00F2: GSME meter integrity issue warning. */
  | { type: 'meter-integrity'; componentCount: number; otherInfo: number };

/** A GBZ payload; its profile id is always GBZ_PROFILE_ID. The alert timestamp is seconds since 2000-01-01 UTC. */
export type GbzMessage =
  | { form: 'command' | 'response'; components: GbzComponent[] }
  | { form: 'alert'; alertCode: number; timestamp: number; body: GbzAlertBody };

export function isGroup(p: Param): p is GroupParam {
  return 'items' in p;
}
