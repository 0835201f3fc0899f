import { createHash, verify as nodeVerify } from 'node:crypto';
import { fromHex } from '../../src/bytes.ts';
import { euiToBytes, normaliseEui, type Eui } from '../../src/crypto/eui.ts';
import { signDeterministic } from '../../src/crypto/ecdsa.ts';
import { publicKeyFromRaw, type PrivateKey, type PublicKey } from '../../src/crypto/keys.ts';
import type { KeyUsage } from '../../src/crypto/keystore.ts';
import { constructed, decodeDer, encodeDer, primitive, sequence, TAG, type DerNode } from '../../src/gbcs/payload/asn1/der.ts';
import { certificateFields } from '../../src/gbcs/payload/asn1/x509.ts';
import { integerNode, keyUsageNode } from '../../src/gbcs/payload/asn1/node-builders.ts';
import type { KeyUsageName } from '../../src/gbcs/payload/asn1/codes.ts';
import type { Json } from '../../src/gbcs/payload/types.ts';

/**
 * A test SMKI for the simulation: a root and an issuing CA whose keys come from the simulation's seed, and
 * organisation certificates shaped like the RTDS ones (subject OU = remote party role, x500UniqueIdentifier =
 * entity id; key usage, subject and authority key ids, the GB SMKI policy). A device holds the root key and checks
 * a CS02b replacement certificate against the issuing CA certificate the command carries.
 */

/** Identities of the test SMKI's root and issuing CA (their keys are derived like any party's). */
export const SMKI = { root: '48414e4c4142ff00', issuingCa: '48414e4c4142ff01' } as const;

/** Where keys come from: a SimPki does. */
export interface KeySource {
  privateKey(eui: Eui, usage: KeyUsage): PrivateKey;
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  commonName: '2.5.4.3',
  organizationalUnitName: '2.5.4.11',
  x500UniqueIdentifier: '2.5.4.45',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  gbSmkiOrganisationPolicy: '1.2.826.0.1.8641679.1.2.1.4',
} as const;

function oidNode(oid: string): DerNode {
  const [a, b, ...rest] = oid.split('.').map(Number) as [number, number, ...number[]];
  const out = [40 * a + b];
  for (const arc of rest) {
    const septets: number[] = [];
    let v = arc;
    do {
      septets.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    out.push(...septets.map((s, i) => (i < septets.length - 1 ? s | 0x80 : s)));
  }
  return primitive(TAG.OID, Uint8Array.from(out));
}

const utf8 = (text: string) => primitive(TAG.UTF8_STRING, new TextEncoder().encode(text));
const bitString = (bytes: Uint8Array) => primitive(TAG.BIT_STRING, Uint8Array.of(0, ...bytes));
const octetString = (bytes: Uint8Array) => primitive(TAG.OCTET_STRING, bytes);
const rdn = (oid: string, value: DerNode) => constructed(TAG.SET, [sequence([oidNode(oid), value])]);
const algorithm = (oid: string, parameters?: string) => sequence(parameters ? [oidNode(oid), oidNode(parameters)] : [oidNode(oid)]);

function timeNode(at: Date): DerNode {
  const iso = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const year = at.getUTCFullYear();
  return year >= 1950 && year < 2050 ? primitive(TAG.UTC_TIME, new TextEncoder().encode(`${iso.slice(2)}Z`)) : primitive(TAG.GENERALIZED_TIME, new TextEncoder().encode(`${iso}Z`));
}

function extension(oid: string, critical: boolean, value: DerNode): DerNode {
  const children = [oidNode(oid)];
  if (critical) children.push(primitive(TAG.BOOLEAN, Uint8Array.of(0xff)));
  children.push(octetString(encodeDer(value)));
  return sequence(children);
}

/** GBCS subject key identifiers are 8 octets: here the first 8 of SHA-256 over the public key point. */
export function subjectKeyId(key: PublicKey): Uint8Array {
  return new Uint8Array(createHash('sha256').update(key.raw).digest().subarray(0, 8));
}

function spki(key: PublicKey): DerNode {
  return sequence([algorithm(OID.ecPublicKey, OID.prime256v1), bitString(key.raw)]);
}

/** An ECDSA signature as X.509 carries it: DER SEQUENCE of r and s. */
function derSignature(raw: Uint8Array): Uint8Array {
  const int = (b: Uint8Array) => integerNode(BigInt(`0x${Buffer.from(b).toString('hex')}`));
  return encodeDer(sequence([int(raw.subarray(0, 32)), int(raw.subarray(32))]));
}

function serialOf(...parts: string[]): DerNode {
  // Positive 16-octet serials as the RTDS has, made from the subject and usage so reissuing gives the same bytes.
  const digest = createHash('sha256').update(parts.join('/')).digest().subarray(0, 16);
  digest[0]! &= 0x7f;
  digest[0]! |= 0x40;
  return primitive(TAG.INTEGER, new Uint8Array(digest));
}

interface Signed {
  issuerKey: PrivateKey;
  tbs: DerNode;
}

function sign({ issuerKey, tbs }: Signed): Uint8Array {
  const tbsBytes = encodeDer(tbs);
  return encodeDer(sequence([tbs, algorithm(OID.ecdsaWithSha256), bitString(derSignature(signDeterministic(issuerKey, tbsBytes)))]));
}

const ROOT_NAME = sequence([rdn(OID.organizationalUnitName, utf8('00')), rdn(OID.commonName, utf8('ZA'))]);
const ISSUING_CA_NAME = sequence([rdn(OID.organizationalUnitName, utf8('07')), rdn(OID.commonName, utf8('Z1'))]);
const policies = () => sequence([sequence([oidNode(OID.gbSmkiOrganisationPolicy)])]);
const authorityKeyId = (key: PublicKey) => sequence([primitive(0x80, subjectKeyId(key))]);

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

const DEFAULT_VALIDITY: Validity = { notBefore: new Date(Date.UTC(2020, 0, 1)), notAfter: new Date(Date.UTC(2045, 11, 31, 23, 59, 59)) };

/** The issuing CA certificate, signed by the root: what a CS02b command carries as its certification path. */
export function issuingCaCertificate(keys: KeySource, validity: Validity = DEFAULT_VALIDITY): Uint8Array {
  const ca = keys.privateKey(SMKI.issuingCa, 'ds').publicKey;
  const root = keys.privateKey(SMKI.root, 'ds');
  const tbs = sequence([
    constructed(0xa0, [integerNode(2)]),
    serialOf(SMKI.issuingCa, 'ca'),
    algorithm(OID.ecdsaWithSha256),
    ROOT_NAME,
    sequence([timeNode(validity.notBefore), timeNode(validity.notAfter)]),
    ISSUING_CA_NAME,
    spki(ca),
    constructed(0xa3, [
      sequence([
        extension(OID.keyUsage, true, keyUsageNode(['keyCertSign', 'cRLSign'])),
        extension(OID.basicConstraints, true, sequence([primitive(TAG.BOOLEAN, Uint8Array.of(0xff)), integerNode(0)])),
        extension(OID.certificatePolicies, true, policies()),
        extension(OID.subjectKeyIdentifier, false, octetString(subjectKeyId(ca))),
        extension(OID.authorityKeyIdentifier, false, authorityKeyId(root.publicKey)),
      ]),
    ]),
  ]);
  return sign({ issuerKey: root, tbs });
}

const KEY_USAGE_OF: Record<KeyUsage, KeyUsageName> = { ds: 'digitalSignature', ka: 'keyAgreement', 'pp-ka': 'keyAgreement' };

export interface OrganisationCertificateRequest {
  subject: Eui;
  /** GBCS remote party role number (2 = supplier, 3 = network operator, 4 = ACB). */
  role: number;
  usage: KeyUsage;
  validity?: Validity;
}

/** An organisation certificate for a party's key of one usage, signed by the issuing CA. */
export function organisationCertificate(keys: KeySource, r: OrganisationCertificateRequest): Uint8Array {
  const subject = normaliseEui(r.subject);
  const key = keys.privateKey(subject, r.usage).publicKey;
  const ca = keys.privateKey(SMKI.issuingCa, 'ds');
  const validity = r.validity ?? DEFAULT_VALIDITY;
  const tbs = sequence([
    constructed(0xa0, [integerNode(2)]),
    serialOf(subject, r.usage),
    algorithm(OID.ecdsaWithSha256),
    ISSUING_CA_NAME,
    sequence([timeNode(validity.notBefore), timeNode(validity.notAfter)]),
    sequence([rdn(OID.organizationalUnitName, utf8(String(r.role).padStart(2, '0'))), rdn(OID.x500UniqueIdentifier, bitString(euiToBytes(subject)))]),
    spki(key),
    constructed(0xa3, [
      sequence([
        extension(OID.keyUsage, true, keyUsageNode([KEY_USAGE_OF[r.usage]])),
        extension(OID.subjectKeyIdentifier, false, octetString(subjectKeyId(key))),
        extension(OID.certificatePolicies, true, policies()),
        extension(OID.authorityKeyIdentifier, false, authorityKeyId(ca.publicKey)),
      ]),
    ]),
  ]);
  return sign({ issuerKey: ca, tbs });
}

// The device's side: read a certificate and check its signature.

export interface CertificateFacts {
  /** Organisation and device certificates name one; CA certificates do not. */
  entityId?: Eui;
  keyUsage: KeyUsageName[];
  publicKey: PublicKey;
  subjectKeyId: Uint8Array;
  authorityKeyId?: Uint8Array;
  notBefore: number;
  notAfter: number;
}

export class CertificateError extends Error {
  override readonly name = 'CertificateError';
}

type Fields = { [key: string]: Json };

/** The facts a device needs from a certificate; CertificateError when they are not there. */
export function readCertificate(der: Uint8Array): CertificateFacts {
  let f: Fields;
  try {
    f = certificateFields(der) as Fields;
  } catch (e) {
    throw new CertificateError(`not an X.509 certificate: ${(e as Error).message}`);
  }
  const extensions = (f.extensions as Fields[] | undefined) ?? [];
  const ext = (name: string) => extensions.find((e) => e.extension === name)?.value;
  const spkiFields = f.subjectPublicKeyInfo as Fields | undefined;
  const validity = f.validity as Fields | undefined;
  const ski = ext('subjectKeyIdentifier');
  const aki = (ext('authorityKeyIdentifier') as Fields | undefined)?.keyIdentifier;
  if (typeof spkiFields?.publicKey !== 'string' || typeof ski !== 'string' || !Array.isArray(f.keyUsage)) {
    throw new CertificateError('the certificate lacks a public key, subject key id or key usage');
  }
  let publicKey: PublicKey;
  try {
    publicKey = publicKeyFromRaw(fromHex(spkiFields.publicKey));
  } catch (e) {
    throw new CertificateError(`the certificate's public key is not a P-256 point: ${(e as Error).message}`);
  }
  return {
    ...(typeof f.entityId === 'string' ? { entityId: normaliseEui(f.entityId) } : {}),
    keyUsage: f.keyUsage as KeyUsageName[],
    publicKey,
    subjectKeyId: fromHex(ski),
    ...(typeof aki === 'string' ? { authorityKeyId: fromHex(aki) } : {}),
    notBefore: Date.parse(String(validity?.notBefore)),
    notAfter: Date.parse(String(validity?.notAfter)),
  };
}

/** True when the certificate's signature verifies with the issuer's key. */
export function signedBy(der: Uint8Array, issuer: PublicKey): boolean {
  try {
    const node = decodeDer(der);
    if (node.kind !== 'constructed' || node.children.length !== 3) return false;
    const [tbs, , signature] = node.children as [DerNode, DerNode, DerNode];
    if (signature.kind !== 'primitive' || signature.value[0] !== 0) return false;
    return nodeVerify('sha256', encodeDer(tbs), { key: issuer.object, dsaEncoding: 'der' }, signature.value.subarray(1));
  } catch {
    return false;
  }
}
