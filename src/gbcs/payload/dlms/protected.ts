import { toHex } from '../../../bytes.ts';
import { GbcsDecodeError } from '../../errors.ts';
import { Reader } from '../../reader.ts';
import type { Json } from '../types.ts';
import { decodeData, type DlmsData } from './data.ts';
import { dataFields, type Decrypt } from './data-fields.ts';
import { GCM_TAG_LENGTH } from '../../../crypto/gcm.ts';

/**
 * GBCS protected data (Blue Book class 30 "data protection", as GBCS uses it for sensitive reads and alerts):
 * a list of protection parameters followed by an octet-string holding a 5-byte security header (security control,
 * invocation counter) and the AES-GCM ciphertext with its 12-byte tag. It appears as the two elements of a
 * get_protected_attributes result, and as the last two elements of the billing data log alert (0x0061).
 */

const SECURITY_HEADER_LENGTH = 5;
const ENCRYPTED = 0x20;

const PROTECTION_TYPES: Record<number, string> = { 0: 'authentication', 1: 'encryption', 2: 'authentication-and-encryption', 3: 'digital-signature' };
const KEY_INFO_TYPES: Record<number, string> = { 0: 'identified-key', 1: 'wrapped-key', 2: 'agreed-key' };

type JsonObject = { [key: string]: Json };

const named = (value: number, names: Record<number, string>): JsonObject => (names[value] ? { value, name: names[value] } : { value });

function octets(d: DlmsData | undefined): Uint8Array | undefined {
  return d?.type === 'octet-string' ? d.value : undefined;
}

/** One protection-parameters entry, or undefined when the value does not have that shape. */
function protectionParameterFields(d: DlmsData): JsonObject | undefined {
  if (d.type !== 'structure' || d.elements.length !== 2) return undefined;
  const [type, options] = d.elements as [DlmsData, DlmsData];
  if (type.type !== 'enum' || options.type !== 'structure' || options.elements.length !== 5) return undefined;
  const [transactionId, originator, recipient, otherInformation] = options.elements.slice(0, 4).map(octets);
  const keyInfo = options.elements[4]!;
  if (!transactionId || !originator || !recipient || !otherInformation) return undefined;
  if (keyInfo.type !== 'structure' || keyInfo.elements.length !== 2 || keyInfo.elements[0]!.type !== 'enum') return undefined;
  const keyInfoType = keyInfo.elements[0]!.value as number;
  const transaction: JsonObject = { hex: toHex(transactionId) };
  // GBCS transaction ids are a one-byte tag (0x04 for payload encryption) and the 8-byte originator counter.
  if (transactionId.length === 9) Object.assign(transaction, { tag: transactionId[0]!, counter: new DataView(transactionId.buffer, transactionId.byteOffset + 1, 8).getBigUint64(0).toString() });
  return {
    protectionType: named(type.value, PROTECTION_TYPES),
    transactionId: transaction,
    originator: toHex(originator),
    recipient: toHex(recipient),
    otherInformation: toHex(otherInformation),
    keyInfo: { type: named(keyInfoType, KEY_INFO_TYPES), options: dataFields(keyInfo.elements[1]!) },
  };
}

function plaintextFields(plaintext: Uint8Array): Json {
  const r = new Reader(plaintext);
  try {
    const value = dataFields(decodeData(r));
    return r.done ? value : { value, rest: { raw: toHex(r.rest()) } };
  } catch (e) {
    if (e instanceof GbcsDecodeError) return { raw: toHex(plaintext) };
    throw e;
  }
}

/** Fields for a protected-data pair, or undefined when the two values are not protection parameters and protected octets. */
export function protectedDataFields(parameters: DlmsData, protectedOctets: DlmsData, decrypt?: Decrypt): Json | undefined {
  if (parameters.type !== 'array' || parameters.elements.length === 0 || protectedOctets.type !== 'octet-string') return undefined;
  const entries = parameters.elements.map(protectionParameterFields);
  if (entries.some((e) => e === undefined)) return undefined;
  const bytes = protectedOctets.value;
  if (bytes.length < SECURITY_HEADER_LENGTH) return undefined;
  const securityControl = bytes[0]!;
  const body = bytes.subarray(SECURITY_HEADER_LENGTH);
  const out: JsonObject = {
    type: 'protected-data',
    protectionParameters: entries as JsonObject[],
    securityHeader: { securityControl, invocationCounter: new DataView(bytes.buffer, bytes.byteOffset + 1, 4).getUint32(0) },
  };
  if ((securityControl & ENCRYPTED) === 0 || body.length < GCM_TAG_LENGTH) {
    out.protectedData = { raw: toHex(body) };
    return out;
  }
  out.ciphertextAndTag = toHex(body);
  if (!decrypt) {
    out.decryption = 'not attempted (no decrypt function)';
    return out;
  }
  let plaintext: Uint8Array | undefined;
  try {
    plaintext = decrypt(body);
  } catch (e) {
    // Decoding still succeeds without the plaintext; say why it is missing.
    out.decryption = `failed (${(e as Error).message})`;
    return out;
  }
  if (plaintext) {
    out.decryption = 'decrypted';
    out.plaintext = plaintextFields(plaintext);
  } else {
    out.decryption = 'failed (no key pair, or the tag did not authenticate)';
  }
  return out;
}
