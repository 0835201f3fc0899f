/**
 * X.509 certificates and PKCS#10 certification requests as GBCS carries them (CS02b/c/d/e, CS03C): subject,
 * issuer, serial, validity, public key, key usage and the other extensions, with the GBCS entity identifier
 * pulled out of the subject (organisations: x500UniqueIdentifier) or subjectAltName (devices: hwSerialNum).
 * Extensions and attributes this module does not know are kept raw.
 */
import { toHex } from '../../../bytes.ts';
import type { Json } from '../types.ts';
import { KEY_USAGE_BITS } from './codes.ts';
import { decodeDer, describeTag, TAG, type DerNode } from './der.ts';
import { choice, decodeAs, field, integer, optional, raw, sequence, sequenceOf, type Schema } from './schema.ts';
import {
  asConstructed,
  asPrimitive,
  bitStringValue,
  booleanValue,
  contentOffset,
  fail,
  generalizedTimeValue,
  ia5Value,
  namedBits,
  oidValue,
  printableValue,
  utcTimeValue,
  utf8Value,
} from './values.ts';

const OID_NAMES: Record<string, string> = {
  '1.2.840.10045.2.1': 'id-ecPublicKey',
  '1.2.840.10045.3.1.7': 'prime256v1',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.113549.1.9.14': 'extensionRequest',
  '2.5.4.3': 'commonName',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'countryName',
  '2.5.4.10': 'organizationName',
  '2.5.4.11': 'organizationalUnitName',
  '2.5.4.45': 'x500UniqueIdentifier',
  '2.5.29.14': 'subjectKeyIdentifier',
  '2.5.29.15': 'keyUsage',
  '2.5.29.17': 'subjectAltName',
  '2.5.29.19': 'basicConstraints',
  '2.5.29.32': 'certificatePolicies',
  '2.5.29.35': 'authorityKeyIdentifier',
  '1.3.6.1.5.5.7.8.4': 'hardwareModuleName',
};

const nameOfOid = (oid: string) => OID_NAMES[oid] ?? oid;

function expectChildren(node: DerNode, what: string, min: number, max: number): DerNode[] {
  const { children } = asConstructed(node, what);
  if (children.length < min || children.length > max) {
    fail(node, `${what} with ${min === max ? min : `${min}..${max}`} components`, String(children.length));
  }
  return children;
}

function oid(what: string): Schema {
  return { tags: [TAG.OID], what, decode: (node) => oidValue(node, what) };
}

function bitStringHex(what: string): Schema {
  return { tags: [TAG.BIT_STRING], what, decode: (node) => toHex(bitStringValue(node, what).bytes) };
}

const algorithmIdentifier: Schema = {
  tags: [TAG.SEQUENCE],
  what: 'AlgorithmIdentifier',
  decode(node) {
    const [algorithm, parameters] = expectChildren(node, 'AlgorithmIdentifier', 1, 2) as [DerNode, DerNode?];
    const out: { [key: string]: Json } = { algorithm: nameOfOid(decodeAs(oid('algorithm'), algorithm) as string) };
    if (parameters?.tag === TAG.OID) out.parameters = nameOfOid(oidValue(parameters, 'algorithm parameters'));
    else if (parameters) out.parameters = decodeAs(raw('algorithm parameters'), parameters);
    return out;
  },
};

function attributeValue(node: DerNode): Json {
  switch (node.tag) {
    case TAG.PRINTABLE_STRING:
      return printableValue(node, 'PrintableString');
    case TAG.UTF8_STRING:
      return utf8Value(node, 'UTF8String');
    case TAG.IA5_STRING:
      return ia5Value(node, 'IA5String');
    // GBCS organisation certificates carry their entity identifier as an x500UniqueIdentifier BIT STRING.
    case TAG.BIT_STRING:
      return toHex(bitStringValue(node, 'BIT STRING attribute').bytes);
    default:
      return decodeAs(raw('attribute value'), node);
  }
}

const attributeTypeAndValue: Schema = {
  tags: [TAG.SEQUENCE],
  what: 'AttributeTypeAndValue',
  decode(node) {
    const [type, value] = expectChildren(node, 'AttributeTypeAndValue', 2, 2) as [DerNode, DerNode];
    return { attribute: nameOfOid(decodeAs(oid('attribute type'), type) as string), value: attributeValue(value) };
  },
};

/** Name: the attributes of every RDN in order, flattened (GBCS names have one attribute per RDN). */
const name: Schema = {
  tags: [TAG.SEQUENCE],
  what: 'Name',
  decode: (node) =>
    asConstructed(node, 'Name').children.flatMap((rdn) => decodeAs(sequenceOf('RelativeDistinguishedName', attributeTypeAndValue, TAG.SET), rdn) as Json[]),
};

const time: Schema = choice('Time', [
  { tags: [TAG.UTC_TIME], what: 'UTCTime', decode: (node) => utcTimeValue(node, 'UTCTime') },
  { tags: [TAG.GENERALIZED_TIME], what: 'GeneralizedTime', decode: (node) => generalizedTimeValue(node, 'GeneralizedTime') },
]);

const validity = sequence('Validity', [field('notBefore', time), field('notAfter', time)]);

const subjectPublicKeyInfo: Schema = {
  tags: [TAG.SEQUENCE],
  what: 'SubjectPublicKeyInfo',
  decode(node) {
    const [algorithm, key] = expectChildren(node, 'SubjectPublicKeyInfo', 2, 2) as [DerNode, DerNode];
    const alg = decodeAs(algorithmIdentifier, algorithm) as { algorithm: string; parameters?: Json };
    const out: { [key: string]: Json } = { algorithm: alg.algorithm };
    if (alg.parameters !== undefined) out[alg.algorithm === 'id-ecPublicKey' ? 'curve' : 'parameters'] = alg.parameters;
    out.publicKey = decodeAs(bitStringHex('subjectPublicKey'), key);
    return out;
  },
};

/** Decodes DER wrapped in an OCTET STRING (an extension value) with whole-message offsets. */
function inner(node: DerNode, what: string): DerNode {
  return decodeDer(asPrimitive(node, what).value, contentOffset(node));
}

function keyUsageValue(node: DerNode): Json {
  const value = inner(node, 'keyUsage');
  if (value.tag !== TAG.BIT_STRING) fail(value, 'keyUsage (BIT STRING)', describeTag(value.tag));
  return namedBits(bitStringValue(value, 'keyUsage'), KEY_USAGE_BITS);
}

function subjectKeyIdentifierValue(node: DerNode): Json {
  const value = inner(node, 'subjectKeyIdentifier');
  if (value.tag !== TAG.OCTET_STRING) fail(value, 'subjectKeyIdentifier (OCTET STRING)', describeTag(value.tag));
  return toHex(asPrimitive(value, 'subjectKeyIdentifier').value);
}

const authorityKeyIdentifier = sequence('AuthorityKeyIdentifier', [
  optional('keyIdentifier', { tags: [0x80], what: 'keyIdentifier', decode: (n) => toHex(asPrimitive(n, 'keyIdentifier').value) }),
  optional('authorityCertIssuer', { ...raw('authorityCertIssuer'), tags: [0xa1] }),
  optional('authorityCertSerialNumber', { tags: [0x82], what: 'authorityCertSerialNumber', decode: (n) => toHex(asPrimitive(n, 'serial').value) }),
]);

const policyInformation = sequence('PolicyInformation', [
  field('policy', oid('policyIdentifier')),
  optional('qualifiers', { ...raw('policyQualifiers'), tags: [TAG.SEQUENCE] }),
]);

/** RFC 4108 HardwareModuleName: GBCS device certificates name the device EUI-64 as hwSerialNum. */
const hardwareModuleName = sequence('HardwareModuleName', [
  field('hwType', oid('hwType')),
  field('hwSerialNum', { tags: [TAG.OCTET_STRING], what: 'hwSerialNum', decode: (n) => toHex(asPrimitive(n, 'hwSerialNum').value) }),
]);

const otherName: Schema = {
  tags: [0xa0],
  what: 'otherName',
  decode(node): Json {
    const [typeId, wrapped] = expectChildren(node, 'otherName', 2, 2) as [DerNode, DerNode];
    const type = decodeAs(oid('otherName type-id'), typeId) as string;
    if (wrapped.tag !== 0xa0) fail(wrapped, 'otherName value ([0] constructed)', describeTag(wrapped.tag));
    const [value] = expectChildren(wrapped, 'otherName value', 1, 1) as [DerNode];
    if (type === '1.3.6.1.5.5.7.8.4') return { hardwareModuleName: decodeAs(hardwareModuleName, value) };
    return { otherName: { type, value: decodeAs(raw('otherName value'), value) } };
  },
};

const generalName: Schema = choice('GeneralName', [
  otherName,
  { tags: [0x81], what: 'rfc822Name', decode: (n) => ({ rfc822Name: ia5Value(n, 'rfc822Name') }) },
  { tags: [0x82], what: 'dNSName', decode: (n) => ({ dNSName: ia5Value(n, 'dNSName') }) },
  { tags: [0x86], what: 'uniformResourceIdentifier', decode: (n) => ({ uniformResourceIdentifier: ia5Value(n, 'URI') }) },
  { tags: [0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0x83, 0x84, 0x85, 0x87, 0x88], what: 'other GeneralName', decode: (n) => decodeAs(raw('GeneralName'), n) },
]);

const basicConstraints: Schema = {
  tags: [TAG.SEQUENCE],
  what: 'BasicConstraints',
  decode(node) {
    const children = expectChildren(node, 'BasicConstraints', 0, 2);
    const out: { [key: string]: Json } = { ca: false };
    let i = 0;
    if (children[i]?.tag === TAG.BOOLEAN) out.ca = booleanValue(children[i++]!, 'cA');
    if (children[i]) out.pathLenConstraint = decodeAs(integer('pathLenConstraint'), children[i++]!);
    if (children[i]) fail(children[i]!, 'end of BasicConstraints', describeTag(children[i]!.tag));
    return out;
  },
};

const EXTENSION_VALUES: Record<string, (extnValue: DerNode) => Json> = {
  '2.5.29.15': keyUsageValue,
  '2.5.29.14': subjectKeyIdentifierValue,
  '2.5.29.35': (n) => decodeAs(authorityKeyIdentifier, inner(n, 'authorityKeyIdentifier')),
  '2.5.29.32': (n) => decodeAs(sequenceOf('CertificatePolicies', policyInformation), inner(n, 'certificatePolicies')),
  '2.5.29.17': (n) => decodeAs(sequenceOf('SubjectAltName', generalName), inner(n, 'subjectAltName')),
  '2.5.29.19': (n) => decodeAs(basicConstraints, inner(n, 'basicConstraints')),
};

const extension: Schema = {
  tags: [TAG.SEQUENCE],
  what: 'Extension',
  decode(node) {
    const children = expectChildren(node, 'Extension', 2, 3);
    const id = decodeAs(oid('extnID'), children[0]!) as string;
    const critical = children.length === 3 ? booleanValue(children[1]!, 'critical') : false;
    const extnValue = children[children.length - 1]!;
    if (extnValue.tag !== TAG.OCTET_STRING) fail(extnValue, 'extnValue (OCTET STRING)', describeTag(extnValue.tag));
    const known = EXTENSION_VALUES[id];
    const value = known ? known(extnValue) : { raw: toHex(asPrimitive(extnValue, 'extnValue').value) };
    return { extension: nameOfOid(id), critical, value };
  },
};

const extensions = sequenceOf('Extensions', extension);

function versionOf(node: DerNode): number {
  const [v] = expectChildren(node, 'version', 1, 1) as [DerNode];
  return Number(decodeAs(integer('version'), v)) + 1;
}

const tbsCertificate: Schema = {
  tags: [TAG.SEQUENCE],
  what: 'TBSCertificate',
  decode(node) {
    const children = asConstructed(node, 'TBSCertificate').children;
    let i = 0;
    const out: { [key: string]: Json } = { version: 1 };
    if (children[i]?.tag === 0xa0) out.version = versionOf(children[i++]!);
    const next = (schema: Schema, key: string) => {
      const child = children[i++];
      if (!child) fail(node, `${key} in TBSCertificate`, 'end of SEQUENCE');
      out[key] = decodeAs(schema, child);
    };
    next({ tags: [TAG.INTEGER], what: 'serialNumber', decode: (n) => toHex(asPrimitive(n, 'serialNumber').value) }, 'serialNumber');
    next(algorithmIdentifier, 'tbsSignatureAlgorithm');
    next(name, 'issuer');
    next(validity, 'validity');
    next(name, 'subject');
    next(subjectPublicKeyInfo, 'subjectPublicKeyInfo');
    if (children[i]?.tag === 0x81) out.issuerUniqueId = toHex(bitStringValue(children[i++]!, 'issuerUniqueID').bytes);
    if (children[i]?.tag === 0x82) out.subjectUniqueId = toHex(bitStringValue(children[i++]!, 'subjectUniqueID').bytes);
    if (children[i]?.tag === 0xa3) {
      const [list] = expectChildren(children[i++]!, 'extensions', 1, 1) as [DerNode];
      out.extensions = decodeAs(extensions, list);
    }
    if (children[i]) fail(children[i]!, 'end of TBSCertificate', describeTag(children[i]!.tag));
    return out;
  },
};

type Fields = { [key: string]: Json };

function findEntityId(tbs: Fields): string | undefined {
  for (const ext of (tbs.extensions as Fields[] | undefined) ?? []) {
    if (ext.extension !== 'subjectAltName') continue;
    for (const gn of ext.value as Fields[]) {
      const hw = gn.hardwareModuleName as Fields | undefined;
      if (hw) return hw.hwSerialNum as string;
    }
  }
  for (const attr of tbs.subject as Fields[]) if (attr.attribute === 'x500UniqueIdentifier' && typeof attr.value === 'string') return attr.value;
  return undefined;
}

function keyUsageOf(tbs: Fields): Json | undefined {
  const ext = ((tbs.extensions as Fields[] | undefined) ?? []).find((e) => e.extension === 'keyUsage');
  return ext?.value;
}

/** Certificate: the TBS fields lifted to the top, with the GBCS entity identifier and key usage up front. */
export const certificate: Schema = {
  tags: [TAG.SEQUENCE],
  what: 'Certificate',
  decode(node) {
    const [tbsNode, sigAlg, sig] = expectChildren(node, 'Certificate', 3, 3) as [DerNode, DerNode, DerNode];
    const tbs = decodeAs(tbsCertificate, tbsNode) as Fields;
    const out: Fields = {};
    const entityId = findEntityId(tbs);
    if (entityId !== undefined) out.entityId = entityId;
    const keyUsage = keyUsageOf(tbs);
    if (keyUsage !== undefined) out.keyUsage = keyUsage;
    Object.assign(out, tbs);
    out.signatureAlgorithm = decodeAs(algorithmIdentifier, sigAlg);
    out.signatureValue = decodeAs(bitStringHex('signatureValue'), sig);
    return out;
  },
};

const csrAttribute: Schema = {
  tags: [TAG.SEQUENCE],
  what: 'Attribute',
  decode(node) {
    const [type, values] = expectChildren(node, 'Attribute', 2, 2) as [DerNode, DerNode];
    const id = decodeAs(oid('attribute type'), type) as string;
    if (id === '1.2.840.113549.1.9.14') return { attribute: 'extensionRequest', value: decodeAs(sequenceOf('extensionRequest values', extensions, TAG.SET), values) };
    return { attribute: nameOfOid(id), value: decodeAs(raw('attribute values'), values) };
  },
};

const certificationRequestInfo = sequence('CertificationRequestInfo', [
  field('version', integer('version')),
  field('subject', name),
  field('subjectPublicKeyInfo', subjectPublicKeyInfo),
  field('attributes', sequenceOf('attributes', csrAttribute, 0xa0)),
]);

/** PKCS#10 CertificationRequest, as a device returns it to CS02c. */
export const certificationRequest: Schema = {
  tags: [TAG.SEQUENCE],
  what: 'CertificationRequest',
  decode(node) {
    const [info, sigAlg, sig] = expectChildren(node, 'CertificationRequest', 3, 3) as [DerNode, DerNode, DerNode];
    const fields = decodeAs(certificationRequestInfo, info) as Fields;
    return { ...fields, signatureAlgorithm: decodeAs(algorithmIdentifier, sigAlg), signatureValue: decodeAs(bitStringHex('signature'), sig) };
  },
};

/** Certificate fields from DER bytes (for callers holding a certificate outside a payload). */
export function certificateFields(der: Uint8Array, base = 0): Json {
  return decodeAs(certificate, decodeDer(der, base));
}
