import { normaliseEui, type Eui } from '../../src/crypto/eui.ts';
import { GbcsDecodeError } from '../../src/gbcs/errors.ts';
import type { DecodedFrame } from '../../src/gbcs/frame.ts';
import {
  asn1Codec,
  buildJoinDeviceResponse,
  buildReadDeviceJoinDetailsResponse,
  buildUnjoinDeviceResponse,
  type DEVICE_TYPES,
  type JOIN_METHOD_AND_ROLE,
  type JOIN_RESPONSE_CODES,
  type NameOf,
  type UNJOIN_RESPONSE_CODES,
} from '../../src/gbcs/payload/asn1/index.ts';
import type { Json } from '../../src/gbcs/payload/types.ts';
import type { UseCaseHandler } from './gbcs-device.ts';
import { MESSAGE_CODE as CODE } from '../../src/gbcs/message-codes.ts';

/**
 * GBCS joins between devices (GBCS 13.7; DUIS 8.7.1/8.7.2 join, 8.8.1/8.8.2 unjoin, 8.9 read join details): CS03A1
 * tells a meter to join with a PPMID, HCALCS or IHD/CAD (method A, as initiator), CS03A2 tells the PPMID or HCALCS
 * the same (responder); CS03B joins a GSME with its GPF (method B); CS03C joins a GSME and a PPMID with each
 * other's key agreement certificate (method C). CS04AC/CS04B undo them, CS07 lists them. Any device model
 * registers these on itself with the rules of its kind; what it is joined with is its `bindings`.
 */

export const JOIN_MESSAGE_CODE = {
  CS03A1: CODE.CS03A1,
  CS03B: CODE.CS03B,
  CS04AC: CODE.CS04AC,
  CS04B: CODE.CS04B,
  CS07: CODE.CS07,
  CS03A2: CODE.CS03A2,
  CS03C: CODE.CS03C,
} as const;

export type PartnerType = NameOf<typeof DEVICE_TYPES>;
export type JoinMethod = NameOf<typeof JOIN_METHOD_AND_ROLE>;
export type JoinResponseCode = NameOf<typeof JOIN_RESPONSE_CODES>;
export type UnjoinResponseCode = NameOf<typeof UNJOIN_RESPONSE_CODES>;

/** The join method each join message code carries. */
const METHOD_OF: Record<number, JoinMethod> = {
  [JOIN_MESSAGE_CODE.CS03A1]: 'methodAInitiator',
  [JOIN_MESSAGE_CODE.CS03A2]: 'methodAResponder',
  [JOIN_MESSAGE_CODE.CS03B]: 'methodB',
  [JOIN_MESSAGE_CODE.CS03C]: 'methodC',
};

/** A join a device takes part in: the message code that asks for it, and who it may join with. */
export interface JoinRule {
  messageCode: number;
  partners: readonly PartnerType[];
}

/** Which joins each kind of device takes (GBCS 13.7). */
export const JOIN_RULES = {
  ESME: [{ messageCode: JOIN_MESSAGE_CODE.CS03A1, partners: ['PPMID', 'HCALCS', 'Type2'] }],
  GSME: [
    { messageCode: JOIN_MESSAGE_CODE.CS03B, partners: ['GPF'] },
    { messageCode: JOIN_MESSAGE_CODE.CS03C, partners: ['PPMID'] },
  ],
  GPF: [{ messageCode: JOIN_MESSAGE_CODE.CS03B, partners: ['GSME', 'PPMID', 'Type2'] }],
  PPMID: [
    { messageCode: JOIN_MESSAGE_CODE.CS03A2, partners: ['ESME'] },
    { messageCode: JOIN_MESSAGE_CODE.CS03C, partners: ['GSME'] },
  ],
  HCALCS: [{ messageCode: JOIN_MESSAGE_CODE.CS03A2, partners: ['ESME'] }],
} as const satisfies Record<string, readonly JoinRule[]>;

/** One device this device is joined with. */
export interface Binding {
  eui: Eui;
  deviceType: PartnerType;
  method: JoinMethod;
  joinedAt: number;
  /** Method C: the partner's key agreement public key, from the certificate the command carried (hex). */
  partnerKeyAgreementKey?: string;
}

/** What a device is joined with (its GBCS device log). Persistent: it survives power cuts. */
export class DeviceBindings {
  private readonly byEui = new Map<Eui, Binding>();

  constructor(readonly capacity = 8) {}

  get(eui: Eui): Binding | undefined {
    return this.byEui.get(normaliseEui(eui));
  }

  isJoinedWith(eui: Eui): boolean {
    return this.byEui.has(normaliseEui(eui));
  }

  /** In the order they were joined. */
  get entries(): Binding[] {
    return [...this.byEui.values()];
  }

  /** A join as GBCS decides it: the same partner again is fine, a conflicting one or one too many is not. */
  join(b: Binding): JoinResponseCode {
    const existing = this.byEui.get(b.eui);
    if (existing) return existing.deviceType === b.deviceType && existing.method === b.method ? 'success' : 'incompatibleWithExistingEntry';
    if (this.byEui.size >= this.capacity) return 'deviceLogFull';
    this.byEui.set(b.eui, { ...b });
    return 'success';
  }

  /** CS04AC undoes method A and C joins, CS04B method B ones. */
  unjoin(eui: Eui, methodB: boolean): UnjoinResponseCode {
    const existing = this.byEui.get(normaliseEui(eui));
    if (!existing) return 'notInDeviceLog';
    if ((existing.method === 'methodB') !== methodB) return 'otherFailure';
    this.byEui.delete(existing.eui);
    return 'success';
  }

  snapshot(): Binding[] {
    return this.entries.map((b) => ({ ...b }));
  }

  restore(bindings: readonly Binding[]): void {
    this.byEui.clear();
    for (const b of bindings) this.byEui.set(b.eui, { ...b });
  }
}

export type UseCaseRegistrar = (codes: number | number[], handler: UseCaseHandler, options?: { needsCommissioning?: boolean }) => void;

export interface JoinUseCasesOptions {
  bindings: DeviceBindings;
  rules: readonly JoinRule[];
  /** The device's time, for the record of when a join happened. */
  now: () => number;
  /** A command whose payload does not decode is discarded; the device records why. */
  discard: (frame: DecodedFrame, detail: string) => void;
  /** Called after a join or unjoin changed the bindings. */
  onChange?: () => void;
  needsCommissioning?: boolean;
}

/** Registers CS03 (the codes `rules` name), CS04AC, CS04B and CS07 on a device (pass its `useCase`). */
export function registerJoinUseCases(register: UseCaseRegistrar, o: JoinUseCasesOptions): void {
  const options = o.needsCommissioning === undefined ? {} : { needsCommissioning: o.needsCommissioning };
  const fieldsOf = (frame: DecodedFrame): Record<string, Json> | undefined => {
    try {
      const decoded = asn1Codec.decode(frame.payload, { messageCode: frame.header.other.messageCode, cra: 1, offset: frame.payloadOffset });
      return decoded.fields !== null && typeof decoded.fields === 'object' && !Array.isArray(decoded.fields) ? decoded.fields : undefined;
    } catch (e) {
      if (e instanceof GbcsDecodeError) return undefined;
      throw e;
    }
  };
  const asn1 = (handle: (fields: Record<string, Json>, frame: DecodedFrame) => Uint8Array): UseCaseHandler => ({ frame }) => {
    const fields = fieldsOf(frame);
    if (!fields) {
      o.discard(frame, 'the payload does not decode as the use case’s ASN.1 structure');
      return undefined;
    }
    return { payload: handle(fields, frame) };
  };
  const changed = (outcome: string) => {
    if (outcome === 'success') o.onChange?.();
  };

  const joinCodes = [...new Set(o.rules.map((r) => r.messageCode))];
  register(
    joinCodes,
    asn1((fields, frame) => {
      const code = joinOutcome(o, fields, frame.header.other.messageCode);
      changed(code);
      return buildJoinDeviceResponse(code);
    }),
    options,
  );
  for (const [code, methodB] of [[JOIN_MESSAGE_CODE.CS04AC, false], [JOIN_MESSAGE_CODE.CS04B, true]] as const) {
    register(
      code,
      asn1((fields) => {
        const outcome = o.bindings.unjoin(String(fields.otherDeviceEntityId), methodB);
        changed(outcome);
        return buildUnjoinDeviceResponse(outcome);
      }),
      options,
    );
  }
  register(
    JOIN_MESSAGE_CODE.CS07,
    asn1(() => buildReadDeviceJoinDetailsResponse({ responseCode: 'success', deviceLogEntries: o.bindings.entries.map((b) => ({ deviceId: b.eui, deviceType: b.deviceType })) })),
    options,
  );
}

const nameOf = (v: Json | undefined): string | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v.name === 'string' ? v.name : undefined);

/** GBCS's checks in order: method against message code, method and partner against this device, certificate, log. */
function joinOutcome(o: JoinUseCasesOptions, fields: Record<string, Json>, messageCode: number): JoinResponseCode {
  const method = nameOf(fields.joinMethodAndRole) as JoinMethod | undefined;
  const partnerType = nameOf(fields.otherDeviceType) as PartnerType | undefined;
  if (!method || method !== METHOD_OF[messageCode]) return 'invalidMessageCodeForJoinMethodAndRole';
  const rule = o.rules.find((r) => r.messageCode === messageCode);
  if (!rule || !partnerType || !rule.partners.includes(partnerType)) return 'invalidJoinMethodAndRole';
  const binding: Binding = { eui: normaliseEui(String(fields.otherDeviceEntityId)), deviceType: partnerType, method, joinedAt: o.now() };
  if (method === 'methodC') {
    const key = keyAgreementKeyOf(fields.otherDeviceCertificate);
    if (!key) return 'invalidOrMissingCertificate';
    binding.partnerKeyAgreementKey = key;
  }
  return o.bindings.join(binding);
}

/** The public key of a key agreement certificate, or undefined when there is none or it is for another usage. */
function keyAgreementKeyOf(certificate: Json | undefined): string | undefined {
  if (certificate === null || typeof certificate !== 'object' || Array.isArray(certificate)) return undefined;
  const usage = certificate.keyUsage;
  const spki = certificate.subjectPublicKeyInfo;
  if (!Array.isArray(usage) || !usage.includes('keyAgreement')) return undefined;
  if (spki === null || typeof spki !== 'object' || Array.isArray(spki) || typeof spki.publicKey !== 'string') return undefined;
  return spki.publicKey;
}
