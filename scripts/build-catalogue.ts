/**
 * Builds src/gbcs/catalogue-data.ts from ../shared: the public GBCS mapping table (use cases, titles, message
 * types), the DUIS request matrix (service requests) and the RTDS (message codes, payload encodings, target
 * devices, alert codes, which service request each use case serves). A few facts none of those hold are curated
 * below, each with where it comes from.
 *
 *   npx tsx scripts/build-catalogue.ts          writes the data file
 *   npx tsx scripts/build-catalogue.ts --check  exits 1 when the committed file differs from a fresh build
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decodeFrame } from '../src/gbcs/frame.ts';
import { Reader } from '../src/gbcs/reader.ts';
import type { CatalogueData, CatalogueSource, DeviceType, MessageCodeInfo, ServiceRequestRecord, UseCase, UseCaseKind } from '../src/gbcs/catalogue.ts';
import type { PayloadEncoding } from '../src/gbcs/payload/types.ts';
import { SHARED, rtdsMessages, type RtdsMessage } from '../test/support/rtds.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const CATALOGUE_DATA_FILE = resolve(here, '../src/gbcs/catalogue-data.ts');

export class CatalogueBuildError extends Error {
  override readonly name = 'CatalogueBuildError';
}

// ---------------------------------------------------------------------------------------------------------------
// Curated facts

/** RTDS identities (shared/README.md); 90A5 and 90A6 inferred from the use cases addressed to them. */
const RTDS_DEVICES: Record<string, DeviceType> = {
  '00db1234567890a0': 'ESME',
  '00db1234567890a1': 'GSME',
  '00db1234567890a2': 'CHF',
  '00db1234567890a3': 'GPF',
  '00db1234567890a4': 'PPMID',
  '00db1234567890a5': 'HCALCS', // CS08 Read PPMID/HCALCS Firmware Version, CS03A2 non-meter join
  '00db1234567890a6': 'SAPC', // ECS46d auxiliary controller calendar, ECS100/ECS102 from the auxiliary controller
};

interface CuratedUseCase {
  name: string;
  title: string;
  kind: UseCaseKind;
  /** Codes to add where the RTDS does not show them. */
  codes?: { code: number; variant?: string; encodings: PayloadEncoding[] }[];
  aliases?: string[];
  critical?: boolean;
  targets?: DeviceType[];
  serviceRequests?: string[];
}

/**
 * Use cases the mapping table lacks. Titles are GBCS use case and alert titles; the short names of alerts that GBCS
 * names by title only follow the RTDS's own labels (FDRA, GCA, GNCA, MIIWA) or are coined in the same style.
 */
const CURATED_USE_CASES: CuratedUseCase[] = [
  { name: 'ECS08', title: 'Update Prepayment Configuration on ESME', kind: 'command' },
  { name: 'ECS26d', title: 'Read ESME Configuration Data Device Information (Billing Calendar)', kind: 'command' },
  { name: 'ECS26e', title: 'Read ESME Configuration Data Device Information (device identity exc MPAN)', kind: 'command' },
  { name: 'ECS26i', title: 'Read Configuration Data Device Information (CHF identity)', kind: 'command' },
  { name: 'ECS30', title: 'Set Billing Calendar on the ESME', kind: 'command' },
  { name: 'ECS35f', title: 'Read ALCS Event Log', kind: 'command' },
  { name: 'ECS46c', title: 'Set HC ALCS and ALCS Configuration in ESME (excluding labels)', kind: 'command' },
  { name: 'ECS47', title: 'Set or Reset HC ALCS or ALCS State', kind: 'command' },
  { name: 'ECS61a', title: 'Read HC ALCS and ALCS Data from ESME', kind: 'command' },
  { name: 'GCS21d', title: 'Read GSME Configuration Data Device Information (Billing Calendar)', kind: 'command' },
  { name: 'GCS21e', title: 'Read GSME/GPF Configuration Data Device Information (device identity)', kind: 'command' },
  { name: 'GCS24', title: 'Set Uncontrolled Gas Flow Rate and Supply Tamper State on the GSME', kind: 'command' },
  // Titles not in our public sources: the RTDS files these under 4.18 Read Meter Balance and 8.9 Read Device Log.
  { name: 'GCS60a', title: 'Read Meter Balance (GSME or GPF)', kind: 'command' },
  { name: 'CCS05CCS04', title: 'Read CHF Device Log', kind: 'command' },
  // Alerts GBCS names by title only.
  { name: 'FDFAA', title: 'Future Dated Firmware Activation Alert', kind: 'alert', codes: [{ code: 0x00ca, encodings: ['asn1'] }] },
  { name: 'FDUSCA', title: 'Future Dated Update Security Credentials Alert', kind: 'alert', codes: [{ code: 0x00cb, encodings: ['asn1'] }] },
  { name: 'FDEIA-DLMS', title: 'Future Dated Execution of Instruction Alert (DLMS COSEM)', kind: 'alert', codes: [{ code: 0x00cc, encodings: ['dlms'] }] },
  { name: 'FDEIA-ZigBee', title: 'Future Dated Execution of Instruction Alert (GBZ)', kind: 'alert', codes: [{ code: 0x00cd, encodings: ['gbz'] }] },
  { name: 'FDRA-DLMS', title: 'Firmware Distribution Receipt Alert (ESME)', kind: 'alert' },
  { name: 'FDRA-ZigBee', title: 'Firmware Distribution Receipt Alert (GSME)', kind: 'alert' },
  {
    name: 'FDRPMA',
    title: 'Failure to Deliver Remote Party Message to ESME Alert',
    kind: 'alert',
    codes: [{ code: 0x00d5, encodings: ['dlms'] }],
    targets: ['CHF'],
  },
  { name: 'MIIWA-DLMS', title: 'Meter Integrity Issue Warning Alert (ESME)', kind: 'alert' },
  { name: 'MIIWA-ZigBee', title: 'Meter Integrity Issue Warning Alert (GSME)', kind: 'alert' },
  { name: 'GCA', title: 'Generic Critical Alert', kind: 'alert', critical: true, aliases: ['GCA-DLMS', 'GCA-ZigBee'] },
  { name: 'GNCA', title: 'Generic Non-Critical Alert', kind: 'alert', critical: false, aliases: ['GNCA-DLMS', 'GNCA-ZigBee'] },
  {
    name: 'FDUSCA-LC',
    title: 'Future Dated Update Security Credentials Alert (load controller credentials)',
    kind: 'alert',
    codes: [{ code: 0x0124, encodings: ['asn1'] }],
  },
];

/** Facts for mapping-table use cases that the RTDS does not show (GBCS message code list; gbcs-notes.md). */
const CURATED_ADDITIONS: Record<string, Omit<CuratedUseCase, 'name' | 'title' | 'kind'>> = {
  CS02b: {
    codes: [
      { code: 0x0100, variant: 'RootBySupplier', encodings: ['asn1'] },
      { code: 0x0101, variant: 'RootByWanProvider', encodings: ['asn1'] },
    ],
  },
  DBCH09: { codes: [{ code: 0x0113, encodings: ['dlms'] }] },
  PECS01: { codes: [{ code: 0x0116, encodings: [] }], targets: ['ESME'] },
  PECS02: { codes: [{ code: 0x0117, encodings: [] }], targets: ['ESME'] },
  PECS03: { codes: [{ code: 0x0118, encodings: [] }], targets: ['ESME'] },
  HECS01: { codes: [{ code: 0x0119, encodings: [] }], targets: ['ESME'] },
  CS05a: { serviceRequests: ['11.1'], targets: ['CHF'] },
  CS05b: { serviceRequests: ['11.1'], targets: ['ESME', 'GSME'] },
  CS05c: { serviceRequests: ['11.4'], targets: ['PPMID'] },
};

// ---------------------------------------------------------------------------------------------------------------
// Reference tables

interface MappingRow {
  'Use Case Title': string;
  'Message Type': string;
  'Remote Party or HAN Message': string | null;
  'Service Reference': string | null;
}

interface MatrixRow {
  'Service Request Name': string;
  'Service Reference Variant': string;
  Critical: string;
  'On Demand': string;
  'Future Dated Response Pattern': string;
  'DCC Scheduled': string;
  'Non-Device Request': string;
  'Eligible User Roles': string[];
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

const yes = (v: string, field: string): boolean => {
  if (v === 'Yes') return true;
  if (v === 'No') return false;
  throw new CatalogueBuildError(`${field}: expected Yes or No, got ${JSON.stringify(v)}`);
};

/** The reference is the variant's first two parts; the matrix's own column has lost digits for 6.20.x (`6.2`). */
function referenceOf(variant: string): string {
  return variant.split('.').slice(0, 2).join('.');
}

function readServiceRequests(shared: string): ServiceRequestRecord[] {
  const rows = readJson<MatrixRow[]>(join(shared, 'reference/duis-request-matrix.json'));
  return rows.map((r) => {
    const variant = r['Service Reference Variant'];
    const where = `DUIS ${variant}`;
    return {
      variant,
      reference: referenceOf(variant),
      name: r['Service Request Name'].split('\n')[0]!.replace(/\s+/g, ' ').trim(),
      critical: yes(r.Critical, `${where} Critical`),
      onDemand: yes(r['On Demand'], `${where} On Demand`),
      futureDatedResponsePattern: r['Future Dated Response Pattern'],
      dccScheduled: yes(r['DCC Scheduled'], `${where} DCC Scheduled`),
      nonDevice: yes(r['Non-Device Request'], `${where} Non-Device Request`),
      eligibleRoles: [...r['Eligible User Roles']],
    };
  });
}

interface MappedUseCase {
  name: string;
  title: string;
  messageType: string;
  hanOnly: boolean;
  references: string[];
}

function readMappingTable(shared: string): MappedUseCase[] {
  const rows = readJson<MappingRow[]>(join(shared, 'reference/gbcs-mapping-table.json'));
  return rows.map((r) => {
    const [name, ...titleWords] = r['Use Case Title'].trim().split(/\s+/);
    if (!name || titleWords.length === 0) throw new CatalogueBuildError(`mapping table title without a use case name: ${JSON.stringify(r['Use Case Title'])}`);
    return {
      name,
      title: titleWords.join(' '),
      messageType: r['Message Type'],
      hanOnly: r['Remote Party or HAN Message'] === 'HAN Only Message',
      references: (r['Service Reference'] ?? '').split(',').map((s) => s.trim()).filter((s) => /^\d+(\.\d+)+$/.test(s)),
    };
  });
}

/** `SME.C.C` critical command, `SME.A.NC` non-critical alert; anything else leaves it to GBCS per variant. */
function criticalityOf(messageType: string): boolean | undefined {
  const m = /^SME\.[CA]\.(C|NC)\b/.exec(messageType);
  return m ? m[1] === 'C' : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// RTDS

interface RtdsObservation {
  folder: string;
  serviceRequest?: string;
  label: string;
  kind: RtdsMessage['kind'];
  code: number;
  encoding: PayloadEncoding;
  device: DeviceType;
  alertCode?: number;
}

/** The encoding a payload announces: xDLMS APDU tags, the GBZ profile id, or a DER universal tag. */
function encodingShown(payload: Uint8Array, where: string): PayloadEncoding {
  const first = payload[0];
  if (first === 0xd9 || first === 0xda || first === 0x0f) return 'dlms';
  if (first === 0x01 && payload[1] === 0x09) return 'gbz';
  if (first === 0x30 || first === 0x02 || first === 0x04 || first === 0x05) return 'asn1';
  throw new CatalogueBuildError(`${where}: payload starts 0x${(first ?? 0).toString(16)}, no known encoding`);
}

/** The alert code inside an alert payload: DLMS data-notification, GBZ alert header, or the leading ASN.1 INTEGER. */
function alertCodeIn(payload: Uint8Array, encoding: PayloadEncoding): number {
  const r = new Reader(payload);
  if (encoding === 'gbz') {
    r.take(3, 'GBZ profile id and component count');
    return r.u16('alert code');
  }
  if (encoding === 'dlms') {
    r.expectByte(0x0f, 'data-notification tag');
    r.u32('long-invoke-id-and-priority');
    const dateTime = r.u8('date-time length');
    r.take(dateTime, 'date-time');
    r.expectByte(0x02, 'structure tag');
    r.u8('structure element count');
    r.expectByte(0x12, 'long-unsigned tag');
    return r.u16('alert code');
  }
  r.expectByte(0x30, 'SEQUENCE tag');
  r.length('SEQUENCE');
  r.expectByte(0x02, 'INTEGER tag');
  const bytes = r.lengthPrefixed('alert code').rest();
  return bytes.reduce((v, b) => v * 256 + b, 0);
}

function observeRtds(): RtdsObservation[] {
  return rtdsMessages().map((m) => {
    const where = `${m.folder}/${m.file}`;
    const [srv, label] = m.folder.split(/_(.*)/s) as [string, string];
    const frame = decodeFrame(m.bytes);
    const h = frame.header;
    const deviceEui = h.cra === 1 ? h.recipient : h.originator;
    const device = RTDS_DEVICES[deviceEui];
    if (!device) throw new CatalogueBuildError(`${where}: device ${deviceEui} is not an RTDS identity`);
    const encoding = encodingShown(frame.payload, where);
    const o: RtdsObservation = { folder: m.folder, label, kind: m.kind, code: h.other.messageCode, encoding, device };
    if (srv !== 'NA') o.serviceRequest = srv;
    if (m.kind === 'ALERT') o.alertCode = alertCodeIn(frame.payload, encoding);
    return o;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Joining

interface Draft {
  name: string;
  aliases: Set<string>;
  title: string;
  kind?: UseCaseKind;
  messageType?: string;
  critical?: boolean;
  hanOnly: boolean;
  references: string[];
  serviceRequests: Set<string>;
  messages: Map<number, MessageCodeInfo>;
  targets: Set<DeviceType>;
  relatedAlerts: Set<number>;
  sources: Set<CatalogueSource>;
}

function newDraft(name: string, title: string, source: CatalogueSource): Draft {
  return {
    name,
    aliases: new Set(),
    title,
    hanOnly: false,
    references: [],
    serviceRequests: new Set(),
    messages: new Map(),
    targets: new Set(),
    relatedAlerts: new Set(),
    sources: new Set([source]),
  };
}

/** An RTDS folder label names a use case outright, or a use case followed by a variant word (`ECS70Commission`). */
function resolveLabel(label: string, drafts: Map<string, Draft>): { draft: Draft; variant?: string } | undefined {
  const exact = drafts.get(label) ?? [...drafts.values()].find((d) => d.aliases.has(label));
  if (exact) return { draft: exact };
  const prefixed = [...drafts.keys()].filter((n) => label.startsWith(n) && /^[A-Z]/.test(label.slice(n.length))).sort((a, b) => b.length - a.length)[0];
  return prefixed ? { draft: drafts.get(prefixed)!, variant: label.slice(prefixed.length) } : undefined;
}

function messageInfo(draft: Draft, code: number): MessageCodeInfo {
  let info = draft.messages.get(code);
  if (!info) draft.messages.set(code, (info = { code, encodings: [], alertCodes: [], seenInRtds: false }));
  return info;
}

function addSorted<T extends number | string>(list: T[], value: T): void {
  if (list.includes(value)) return;
  list.push(value);
  list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function buildCatalogue(): CatalogueData {
  const serviceRequests = readServiceRequests(SHARED);
  const variantsOf = (reference: string) => serviceRequests.filter((s) => s.reference === reference).map((s) => s.variant);
  const drafts = new Map<string, Draft>();

  for (const m of readMappingTable(SHARED)) {
    if (drafts.has(m.name)) throw new CatalogueBuildError(`mapping table names ${m.name} twice`);
    const d = newDraft(m.name, m.title, 'gbcs-mapping-table');
    d.messageType = m.messageType;
    const critical = criticalityOf(m.messageType);
    if (critical !== undefined) d.critical = critical;
    if (/^SME\.A\./.test(m.messageType)) d.kind = 'alert';
    d.hanOnly = m.hanOnly;
    d.references = m.references;
    drafts.set(m.name, d);
  }
  for (const c of CURATED_USE_CASES) {
    if (drafts.has(c.name)) throw new CatalogueBuildError(`curated use case ${c.name} is already in the mapping table`);
    const d = newDraft(c.name, c.title, 'curated');
    drafts.set(c.name, d);
    applyCurated(d, c);
    d.kind = c.kind;
    if (c.critical !== undefined) d.critical = c.critical;
  }
  for (const [name, extra] of Object.entries(CURATED_ADDITIONS)) {
    const d = drafts.get(name);
    if (!d) throw new CatalogueBuildError(`curated addition for unknown use case ${name}`);
    applyCurated(d, extra);
    d.sources.add('curated');
  }

  joinRtds(observeRtds(), drafts);

  for (const d of drafts.values()) {
    for (const ref of d.references) {
      const variants = variantsOf(ref);
      if (variants.length === 0) {
        if (serviceRequests.some((s) => s.variant === ref)) d.serviceRequests.add(ref);
        continue;
      }
      if ([...d.serviceRequests].some((v) => referenceOf(v) === ref)) continue;
      d.serviceRequests.add(variants.length === 1 ? variants[0]! : ref);
    }
    if (d.targets.size === 0) for (const t of targetsByName(d.name)) d.targets.add(t);
  }

  const useCases = [...drafts.values()].map(finish);
  useCases.sort((a, b) => (a.messages[0]?.code ?? 0x10000) - (b.messages[0]?.code ?? 0x10000) || a.name.localeCompare(b.name));
  return { useCases, serviceRequests };
}

function applyCurated(d: Draft, c: Omit<CuratedUseCase, 'name' | 'title' | 'kind'>): void {
  for (const a of c.aliases ?? []) d.aliases.add(a);
  for (const code of c.codes ?? []) {
    const info = messageInfo(d, code.code);
    if (code.variant) info.variant = code.variant;
    for (const e of code.encodings) addSorted(info.encodings, e);
  }
  for (const t of c.targets ?? []) d.targets.add(t);
  for (const s of c.serviceRequests ?? []) d.serviceRequests.add(s);
}

/**
 * Gives each RTDS message code to a use case. A folder's own codes are those of its commands and responses (of its
 * alerts when it has nothing else); a code several folders claim goes to the folder that has it alone (8.8.2_CS04B
 * also carries a CS04AC unjoin). Other alerts in a folder are use cases of their own, related to the folder's.
 */
function joinRtds(observations: RtdsObservation[], drafts: Map<string, Draft>): void {
  const folders = new Map<string, RtdsObservation[]>();
  for (const o of observations) folders.set(o.folder, [...(folders.get(o.folder) ?? []), o]);

  const owner = new Map<number, Draft>();
  const ownCodes = (list: RtdsObservation[]) => {
    const nonAlerts = list.filter((o) => o.kind !== 'ALERT');
    return new Set((nonAlerts.length > 0 ? nonAlerts : list).map((o) => o.code));
  };
  const folderEntries = [...folders.entries()].map(([folder, list]) => {
    const first = list[0]!;
    const resolved = resolveLabel(first.label, drafts);
    if (!resolved) throw new CatalogueBuildError(`RTDS folder ${folder}: no use case named ${first.label}`);
    return { folder, list, codes: ownCodes(list), ...resolved };
  });
  for (const single of [true, false]) {
    for (const f of folderEntries) {
      if ((f.codes.size === 1) !== single) continue;
      for (const code of f.codes) {
        const previous = owner.get(code);
        if (previous && previous !== f.draft && single) throw new CatalogueBuildError(`message code 0x${code.toString(16)} claimed by ${previous.name} and ${f.draft.name}`);
        if (!previous) owner.set(code, f.draft);
      }
    }
  }
  for (const d of drafts.values()) for (const code of d.messages.keys()) if (!owner.has(code)) owner.set(code, d);

  const variantWords = new Map<MessageCodeInfo, string[]>();
  for (const f of folderEntries) {
    f.draft.sources.add('rtds');
    if (f.variant) f.draft.aliases.add(f.draft.name + f.variant);
    for (const o of f.list) {
      const d = owner.get(o.code);
      if (!d) throw new CatalogueBuildError(`${f.folder}: alert message code 0x${o.code.toString(16)} belongs to no use case`);
      const info = messageInfo(d, o.code);
      info.seenInRtds = true;
      addSorted(info.encodings, o.encoding);
      if (o.alertCode !== undefined) addSorted(info.alertCodes, o.alertCode);
      d.targets.add(o.device);
      d.sources.add('rtds');
      if (o.kind === 'COMMAND' || o.kind === 'PRECOMMAND') d.kind = 'command';
      else if (o.kind === 'ALERT') d.kind ??= 'alert';
      if (d !== f.draft) {
        if (o.kind === 'ALERT') f.draft.relatedAlerts.add(o.code);
        continue;
      }
      if (o.serviceRequest) d.serviceRequests.add(o.serviceRequest);
      if (f.variant && f.codes.size === 1) variantWords.set(info, [...(variantWords.get(info) ?? []), f.variant]);
    }
  }
  // A variant word names a message code where the use case has several codes (CS02b by credential type); the
  // shortest word is the credential type itself (`NOByNO` rather than `NOByNOHandover`).
  for (const [info, words] of variantWords) {
    const d = owner.get(info.code)!;
    if (d.messages.size > 1) info.variant ??= words.sort((a, b) => a.length - b.length || a.localeCompare(b))[0];
  }
}

/** Target devices for use cases the RTDS does not show, by GBCS's naming: E for electricity, G for gas, C for hub. */
function targetsByName(name: string): DeviceType[] {
  if (/^(ECS|PECS|HECS)/.test(name)) return ['ESME'];
  if (/^(GCS|PCS)/.test(name)) return ['GSME'];
  if (/^(CCS|DBCH)/.test(name)) return ['CHF'];
  return [];
}

function finish(d: Draft): UseCase {
  return {
    name: d.name,
    aliases: [...d.aliases].sort(),
    title: d.title,
    kind: d.kind ?? 'command',
    ...(d.messageType === undefined ? {} : { messageType: d.messageType }),
    ...(d.critical === undefined ? {} : { critical: d.critical }),
    hanOnly: d.hanOnly,
    serviceRequests: [...d.serviceRequests].sort(compareVariants),
    messages: [...d.messages.values()].sort((a, b) => a.code - b.code),
    targets: [...d.targets].sort(),
    relatedAlerts: [...d.relatedAlerts].sort((a, b) => a - b),
    sources: [...d.sources].sort(),
  };
}

function compareVariants(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Output

const HEX_KEYS = new Set(['code', 'alertCodes', 'relatedAlerts']);

const hexToken = (n: number) => `@hex:${n}`;

/** One line per use case and per service request, message and alert codes in hex: diffs stay readable. */
export function renderCatalogueModule(data: CatalogueData): string {
  const line = (value: unknown) =>
    `    ${JSON.stringify(value, (key, v: unknown) => (HEX_KEYS.has(key) ? (Array.isArray(v) ? v.map(hexToken) : hexToken(v as number)) : v)).replace(
      /"@hex:(\d+)"/g,
      (_, n: string) => `0x${Number(n).toString(16).toUpperCase().padStart(4, '0')}`,
    )},`;
  return [
    '// Generated by scripts/build-catalogue.ts from ../shared (GBCS mapping table, DUIS request matrix, RTDS). Do not edit.',
    "import type { CatalogueData } from './catalogue.ts';",
    '',
    'export const CATALOGUE: CatalogueData = {',
    '  useCases: [',
    ...data.useCases.map(line),
    '  ],',
    '  serviceRequests: [',
    ...data.serviceRequests.map(line),
    '  ],',
    '};',
    '',
  ].join('\n');
}

function main(argv: string[]): number {
  const text = renderCatalogueModule(buildCatalogue());
  if (argv.includes('--check')) {
    const committed = readFileSync(CATALOGUE_DATA_FILE, 'utf8');
    if (committed === text) return 0;
    console.error(`${CATALOGUE_DATA_FILE} is stale: run npx tsx scripts/build-catalogue.ts`);
    return 1;
  }
  writeFileSync(CATALOGUE_DATA_FILE, text);
  console.log(`wrote ${CATALOGUE_DATA_FILE}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
