import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCatalogue, CATALOGUE_DATA_FILE, renderCatalogueModule } from '../scripts/build-catalogue.ts';
import {
  alertName,
  allServiceRequests,
  allUseCases,
  messageCodeInfo,
  serviceRequest,
  serviceRequestVariants,
  useCaseByMessageCode,
  useCaseByName,
} from '../src/gbcs/catalogue.ts';
import { decodeFrame } from '../src/gbcs/frame.ts';
import { MESSAGE_CODE } from '../src/gbcs/message-codes.ts';
import type { PayloadEncoding } from '../src/gbcs/payload/types.ts';
import { SHARED, rtdsMessages } from './support/rtds.ts';

const rtds = rtdsMessages().map((m) => {
  const [serviceRequest, label] = m.folder.split(/_(.*)/s) as [string, string];
  return { ...m, serviceRequest, label, frame: decodeFrame(m.bytes) };
});
const hex = (code: number) => `0x${code.toString(16).padStart(4, '0')}`;

/**
 * The payload routing rule the team uses, as its spec states it (message codes whose payloads do not announce
 * themselves, then the payload's first bytes): the oracle the catalogue's recorded encodings must agree with.
 */
function routedEncoding(code: number, payload: Uint8Array): PayloadEncoding | undefined {
  const asn1 = [0x0008, 0x0012, 0x0013, 0x007f, 0x008c, 0x00ab, 0x00af, 0x00b2, 0x00ca, 0x00cb, 0x0128, 0x0129];
  if (asn1.includes(code) || (code >= 0x000a && code <= 0x0010) || (code >= 0x0100 && code <= 0x0109)) return 'asn1';
  if ([0x008b, 0x00cd, 0x00cf, 0x00f2].includes(code)) return 'gbz';
  if ([0x00cc, 0x00ce, 0x0061, 0x00d5, 0x00f0].includes(code)) return 'dlms';
  if (payload[0] === 0x30) return 'asn1';
  if (payload[0] === 0x01 && payload[1] === 0x09) return 'gbz';
  if (payload[0] === 0xd9 || payload[0] === 0xda || payload[0] === 0x0f) return 'dlms';
  return undefined;
}

/** The DCC's own parties in the RTDS (ACB, TransCoS), which sign some commands of non-critical service requests. */
const DCC_SIGNERS = new Set(['90b3d51f30000002', '90b3d51f30000004']);

/** The scenario table of gbcs-notes.md: service request cell and use case cell of each row. */
function notesScenarioRows(): { requests: string; useCases: string }[] {
  const notes = readFileSync(join(SHARED, 'docs/gbcs-notes.md'), 'utf8');
  const table = notes.split('## Use cases behind the business scenarios')[1]!.split('\n## ')[0]!;
  return table
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|\s*(Scenario|---)/.test(l))
    .map((l) => {
      const cells = l.split('|').map((c) => c.trim());
      return { requests: cells[2]!, useCases: cells[3]! };
    });
}
const USE_CASE_NAME = /\b(?:CCS|ECS|GCS|PECS|PCS|HECS|DBCH|CS)\d{2}[A-Za-z0-9]*\b/g;

describe('the shared message code table', () => {
  it('names every code by the use case the catalogue gives it', () => {
    for (const [name, code] of Object.entries(MESSAGE_CODE)) {
      const useCase = useCaseByMessageCode(code);
      const [base, variant] = name.split('_', 2) as [string, string | undefined];
      const catalogueName = variant && !useCase?.aliases.length ? `${base}-${variant}` : base;
      expect(useCase?.name, name).toBe(catalogueName);
      if (variant && useCase?.aliases.length) expect(messageCodeInfo(code)?.variant, name).toBe(variant);
    }
  });
});

describe('catalogue data', () => {
  it('is exactly what scripts/build-catalogue.ts makes from ../shared', () => {
    expect(readFileSync(CATALOGUE_DATA_FILE, 'utf8')).toBe(renderCatalogueModule(buildCatalogue()));
  });

  it('holds every use case of the GBCS mapping table, with its title and criticality', () => {
    const mapping = JSON.parse(readFileSync(join(SHARED, 'reference/gbcs-mapping-table.json'), 'utf8')) as { 'Use Case Title': string; 'Message Type': string }[];
    for (const row of mapping) {
      const [name, ...title] = row['Use Case Title'].trim().split(/\s+/);
      const uc = useCaseByName(name!);
      expect(uc?.title, name).toBe(title.join(' '));
      if (/^SME\.[CA]\.C\b/.test(row['Message Type'])) expect(uc?.critical, name).toBe(true);
      if (/^SME\.[CA]\.NC\b/.test(row['Message Type'])) expect(uc?.critical, name).toBe(false);
    }
  });

  it('gives each message code to one use case only', () => {
    const codes = allUseCases().flatMap((uc) => uc.messages.map((m) => m.code));
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('names only service requests the DUIS matrix holds (a variant, or a reference of several)', () => {
    for (const uc of allUseCases()) for (const sr of uc.serviceRequests) expect(serviceRequest(sr) ?? serviceRequestVariants(sr)[0], `${uc.name} ${sr}`).toBeDefined();
  });
});

describe('catalogue against the RTDS', () => {
  it('resolves every RTDS message code to a use case whose recorded encoding is the one the routing rule picks for the payload', () => {
    expect(rtds).toHaveLength(1275);
    for (const m of rtds) {
      const code = m.frame.header.other.messageCode;
      const where = `${m.file} ${hex(code)}`;
      expect(useCaseByMessageCode(code), where).toBeDefined();
      const info = messageCodeInfo(code)!;
      expect(info.seenInRtds, where).toBe(true);
      const routed = routedEncoding(code, m.frame.payload);
      expect(routed, where).toBeDefined();
      expect(info.encodings, where).toContain(routed);
    }
  });

  it('records a single encoding for every code but the generic alerts, which ESME (DLMS) and GSME (GBZ) both send', () => {
    const mixed = allUseCases().flatMap((uc) => uc.messages.filter((m) => m.encodings.length > 1).map((m) => m.code));
    expect(mixed.map(hex)).toEqual(['0x1000', '0x1001']);
    expect(useCaseByName('GCA-DLMS')).toBe(useCaseByMessageCode(0x1000));
    expect(useCaseByName('GNCA-ZigBee')).toBe(useCaseByMessageCode(0x1001));
  });

  it('resolves every RTDS folder label to the use case owning the code of its commands', () => {
    for (const m of rtds) {
      const uc = useCaseByName(m.label);
      expect(uc, m.folder).toBeDefined();
      if (m.kind === 'COMMAND' && uc!.messages.length === 1 && m.label !== 'CS04B') expect(uc!.messages[0]!.code, m.file).toBe(m.frame.header.other.messageCode);
    }
  });

  it('lists the device each RTDS command goes to, and each response or alert comes from, as a target', () => {
    const byEui: Record<string, string> = { a0: 'ESME', a1: 'GSME', a2: 'CHF', a3: 'GPF', a4: 'PPMID' };
    for (const m of rtds) {
      const h = m.frame.header;
      const device = byEui[(h.cra === 1 ? h.recipient : h.originator).slice(-2)];
      if (device) expect(useCaseByMessageCode(h.other.messageCode)!.targets, m.file).toContain(device);
    }
  });

  it('has critical service requests signed in every RTDS command, and unsigned commands only under non-critical ones', () => {
    let checked = 0;
    for (const m of rtds.filter((x) => x.kind === 'COMMAND' && x.serviceRequest !== 'NA')) {
      const sr = serviceRequest(m.serviceRequest);
      expect(sr, m.folder).toBeDefined();
      const signed = (m.frame.signature?.length ?? 0) > 0;
      if (sr!.critical) expect(signed, m.file).toBe(true);
      if (!sr!.critical && signed) {
        // the DCC signs what it originates; a user-signed command under a non-critical request is a critical use case (the CS04B error case)
        const uc = useCaseByMessageCode(m.frame.header.other.messageCode)!;
        expect(DCC_SIGNERS.has(m.frame.header.originator) || uc.critical === true, m.file).toBe(true);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(450);
  });

  it('names every alert code that RTDS alerts carry', () => {
    const carried = allUseCases().flatMap((uc) => uc.messages.flatMap((m) => m.alertCodes));
    expect(carried.length).toBeGreaterThan(20);
    for (const code of carried) expect(alertName(code), hex(code)).toBeDefined();
    expect(messageCodeInfo(0x00cc)!.alertCodes).toEqual([0x8f66]);
    expect(messageCodeInfo(0x0128)!.alertCodes).toEqual([0x8f8a]);
    expect(messageCodeInfo(0x0018)!.alertCodes).toEqual([0x8f12]);
  });
});

describe('catalogue against gbcs-notes.md', () => {
  const rows = notesScenarioRows();

  it('resolves every use case and message code the scenario table names', () => {
    expect(rows.length).toBeGreaterThan(10);
    const text = rows.map((r) => r.useCases).join('\n');
    const names = [...text.matchAll(USE_CASE_NAME)].map((m) => m[0]);
    expect(names.length).toBeGreaterThan(40);
    for (const name of names) expect(useCaseByName(name), name).toBeDefined();
    const pairs = [...text.matchAll(new RegExp(`(${USE_CASE_NAME.source})[^()]*?\\((0x[0-9A-F]{4})(?:–(0x[0-9A-F]{4}))?`, 'g'))];
    expect(pairs.length).toBeGreaterThan(35);
    for (const m of pairs) {
      const [, name, first, last] = m as unknown as [string, string, string, string | undefined];
      for (let code = Number(first); code <= Number(last ?? first); code++) expect(useCaseByMessageCode(code)?.name, `${name} ${hex(code)}`).toBe(name);
    }
    for (const m of text.matchAll(/0x([0-9A-F]{4})/g)) {
      const code = Number.parseInt(m[1]!, 16);
      if (code >= 0x8000) expect(alertName(code), hex(code)).toBeDefined();
      else expect(useCaseByMessageCode(code), hex(code)).toBeDefined();
    }
  });

  it('marks critical exactly the service requests the table marks (C), as the DUIS matrix does', () => {
    let seen = 0;
    for (const row of rows) {
      for (const part of row.requests.split(' / ')) {
        const m = /^(\d+(?:\.\d+)+) .*?( \(C\))?$/.exec(part);
        if (!m) continue;
        expect(serviceRequest(m[1]!)?.critical, part).toBe(m[2] !== undefined);
        seen++;
      }
    }
    expect(seen).toBeGreaterThan(12);
  });

  it('has each command use case of a row serve one of the row’s service requests', () => {
    let checked = 0;
    for (const row of rows) {
      const segments = [...row.useCases.matchAll(/(\d+(?:\.\d+)+) ([^;]+)/g)].map((m) => ({ requests: [m[1]!], text: m[2]! }));
      const own = [...row.requests.matchAll(/\b\d+(?:\.\d+)+\b/g)].map((m) => m[0]);
      if (segments.length === 0) segments.push({ requests: own, text: row.useCases });
      for (const { requests, text } of segments) {
        if (requests.length === 0) continue;
        for (const [name] of text.matchAll(USE_CASE_NAME)) {
          const uc = useCaseByName(name)!;
          if (uc.kind === 'alert') continue;
          expect(uc.serviceRequests.some((sr) => requests.includes(sr)), `${name} in ${requests.join('/')}: ${uc.serviceRequests.join(',')}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(25);
  });
});

describe('catalogue look-ups', () => {
  it('finds a use case by name, alias and message code', () => {
    const cs01a = useCaseByName('CS01a')!;
    expect(cs01a).toMatchObject({ title: 'Apply Prepayment Top Up to an ESME', kind: 'command', critical: false, serviceRequests: ['2.2'], targets: ['ESME'] });
    expect(useCaseByMessageCode(0x0007)).toBe(cs01a);
    expect(useCaseByName('ECS70Commission')).toBe(useCaseByName('ECS70'));
    expect(useCaseByName('ECS70')!.serviceRequests).toEqual(['6.11', '8.1.1']);
    expect(useCaseByMessageCode(0x0102)!.name).toBe('CS02b');
    expect(messageCodeInfo(0x0102)!.variant).toBe('SupplierBySupplier');
    expect(useCaseByName('CS06')).toMatchObject({ critical: true, relatedAlerts: [0x00ca], messages: [{ code: 0x0012, encodings: ['asn1'] }] });
    expect(useCaseByName('CS05b')).toMatchObject({ messages: [], serviceRequests: ['11.1'] });
    expect(useCaseByName('PECS01')).toMatchObject({ hanOnly: true, messages: [{ code: 0x0116, seenInRtds: false }] });
    expect(useCaseByName('NoSuchCase')).toBeUndefined();
    expect(useCaseByMessageCode(0x7777)).toBeUndefined();
  });

  it('gives a service request with its variants, criticality, roles and use cases', () => {
    expect(serviceRequest('2.2')).toMatchObject({ name: 'Top Up Device', critical: false, variants: ['2.2'], eligibleRoles: ['IS', 'GS'] });
    expect(serviceRequest('2.2')!.useCases.sort()).toEqual(['CS01a', 'CS01b']);
    expect(serviceRequest('8.7')).toBeUndefined();
    expect(serviceRequestVariants('8.7').map((s) => [s.variant, s.critical])).toEqual([['8.7.1', true], ['8.7.2', false]]);
    expect(serviceRequest('8.7.1')!.variants).toEqual(['8.7.1', '8.7.2']);
    expect(serviceRequest('11.3')).toMatchObject({ critical: true, useCases: ['CS06'] });
    expect(serviceRequest('11.1')).toMatchObject({ critical: false, nonDevice: true });
    expect(serviceRequest('6.20.1')).toMatchObject({ reference: '6.20', variants: ['6.20.1', '6.20.2'] });
    expect(allServiceRequests()).toHaveLength(129);
  });

  it('names alert codes', () => {
    expect(alertName(0x8f66)).toMatch(/future-dated/i);
    expect(alertName(0x8f8a)).toMatch(/firmware transfer/i);
    expect(alertName(0x8f12)).toMatch(/device log/i);
    expect(alertName(0x0001)).toBeUndefined();
  });
});
