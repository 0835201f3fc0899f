import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerFwCommands } from '../src/cli/fw.ts';
import { privateKeyFromPem } from '../src/crypto/keys.ts';
import { buildGbImage, parseGbImage } from '../src/ota/gb-image.ts';
import {
  admitImage,
  checkCatalogue,
  checkDevice,
  checkEstate,
  parseCatalogue,
  parseEstate,
  PolicyFileError,
  RULE_IDS,
  type EstateDevice,
  type FirmwareCatalogue,
  type ImageIdentity,
  type RuleId,
  type Violation,
} from '../src/ota/policy/index.ts';
import { RTDS_KEYSTORE } from './support/rtds.ts';
import { runCli } from './support/cli.ts';

const FIXTURES = 'fixtures/firmware';
const fixture = (name: string) => join(FIXTURES, name);
const readFixture = (name: string) => readFileSync(fixture(name), 'utf8');

const catalogue = parseCatalogue(readFixture('catalogue.yaml'), 'catalogue.yaml');
const inconsistent = parseCatalogue(readFixture('catalogue-inconsistent.yaml'), 'catalogue-inconsistent.yaml');
const cleanEstate = parseEstate(readFixture('estate-clean.yaml'), 'estate-clean.yaml');
const violationsEstate = parseEstate(readFixture('estate-violations.yaml'), 'estate-violations.yaml');

/** rule ids per device (or per model, for the catalogue's own violations), in the order reported. */
function rulesBy(violations: Violation[], key: 'device' | 'model'): Record<string, RuleId[]> {
  const out: Record<string, RuleId[]> = {};
  for (const v of violations) (out[v[key] ?? '?'] ??= []).push(v.rule);
  return out;
}

const rules = (violations: Violation[]) => violations.map((v) => v.rule);

/** An ESME-1PH-B in policy (on N), to vary one field at a time. */
const esme = (change: Partial<EstateDevice> = {}): EstateDevice => ({
  id: 'esme-under-test',
  deviceType: 'ESME',
  model: 'ESME-1PH-B',
  manufacturerCode: 0x1b02,
  hardwareVersion: 0x0200,
  currentVersion: 0x01040002,
  ...change,
});

describe('catalogue consistency', () => {
  it('finds nothing wrong with the sample catalogue', () => {
    expect(checkCatalogue(catalogue)).toEqual([]);
  });

  it('fires each planted catalogue rule on its model and nothing else', () => {
    expect(rulesBy(checkCatalogue(inconsistent), 'model')).toEqual({
      'ESME-TWO-N': ['approved-count'],
      'ESME-TWO-N-1': ['previous-count'],
      'GSME-DUP': ['duplicate-version'],
      'GSME-ORDER': ['state-out-of-order'],
      'IHD-HASH': ['malformed-hash'],
      'PPMID-NOHASH': ['missing-hash'],
      'HUB-OLD-BUILD': ['hub-manufactured-not-approved', 'exception-invalid'],
      'HUB-GONE': ['exception-invalid'],
    });
  });

  it('reports a missing hash as a warning and the rest as errors', () => {
    const severities = new Set(checkCatalogue(inconsistent).map((v) => `${v.rule}:${v.severity}`));
    expect(severities.has('missing-hash:warning')).toBe(true);
    expect(severities.has('approved-count:error')).toBe(true);
  });

  it('wants an approved version on every model and a manufactured version on every hub', () => {
    const hub = structuredClone(catalogue.models[0]!);
    hub.versions = hub.versions.filter((v) => v.state !== 'approved');
    delete hub.manufactured;
    const found = checkCatalogue({ models: [hub], exceptions: [] });
    expect(rules(found)).toEqual(['approved-count', 'hub-manufactured-not-approved']);
    expect(found[1]!.message).toContain('does not say which version is manufactured');
  });

  it('refuses an exception for a version the model does not list', () => {
    const bad: FirmwareCatalogue = { ...catalogue, exceptions: [{ model: 'ESME-1PH-B', from: 0x01000000, to: 0x01040002, reason: 'r', reference: 'CR-X' }] };
    const found = checkCatalogue(bad);
    expect(rules(found)).toEqual(['exception-invalid']);
    expect(found[0]!.message).toContain('0x01000000');
  });
});

describe('estate checks', () => {
  it('finds nothing wrong with the clean estate', () => {
    expect(checkEstate(catalogue, cleanEstate)).toEqual([]);
  });

  it('fires each planted rule on its device and nothing else', () => {
    expect(rulesBy(checkEstate(catalogue, violationsEstate), 'device')).toEqual({
      '00-00-00-00-00-00-01-01': ['unknown-model'],
      '00-00-00-00-00-00-01-02': ['device-type-mismatch'],
      '00-00-00-00-00-00-01-03': ['wrong-manufacturer'],
      '00-00-00-00-00-00-01-04': ['wrong-image-type'],
      '00-00-00-00-00-00-01-05': ['hardware-out-of-range'],
      '00-00-00-00-00-00-01-06': ['unknown-version'],
      '00-00-00-00-00-00-01-07': ['version-not-current'],
      '00-00-00-00-00-00-01-08': ['version-not-current'],
      '00-00-00-00-00-00-01-09': ['version-not-current', 'retired-version'],
      '00-00-00-00-00-00-01-0A': ['multi-hop-upgrade'],
      '00-00-00-00-00-00-01-0B': ['downgrade'],
      '00-00-00-00-00-00-01-0C': ['upgrade-not-to-approved'],
      '00-00-00-00-00-00-01-0D': ['unknown-version'],
    });
  });

  it('plants every rule in the sample files (image-hash-mismatch needs an image, so admission tests it)', () => {
    const planted = new Set([...rules(checkCatalogue(inconsistent)), ...rules(checkEstate(catalogue, violationsEstate))]);
    expect([...planted].sort()).toEqual(RULE_IDS.filter((r) => r !== 'image-hash-mismatch').sort());
  });

  it('names the device, its version and what the policy wants in the message', () => {
    const [v] = checkDevice(catalogue, esme({ currentVersion: 0x01010000 }));
    expect(v).toMatchObject({ device: 'esme-under-test', model: 'ESME-1PH-B', rule: 'version-not-current', severity: 'error' });
    expect(v!.message).toContain('0x01010000 (1.1.0, retired)');
    expect(v!.message).toContain('N 0x01040002 (1.4.2, approved)');
  });

  it('allows N-1 → N, and treats a reinstall of the running version as no upgrade', () => {
    expect(checkDevice(catalogue, esme({ currentVersion: 0x01030007, upgradeTo: 0x01040002 }))).toEqual([]);
    expect(rules(checkDevice(catalogue, esme({ upgradeTo: 0x01040002 })))).toEqual(['downgrade']);
  });

  it('allows the candidate only on a device enrolled in the trial', () => {
    expect(rules(checkDevice(catalogue, esme({ upgradeTo: 0x01050000 })))).toEqual(['upgrade-not-to-approved']);
    expect(checkDevice(catalogue, esme({ upgradeTo: 0x01050000, trial: true }))).toEqual([]);
    expect(rules(checkDevice(catalogue, esme({ currentVersion: 0x01050000 })))).toEqual(['version-not-current']);
    expect(checkDevice(catalogue, esme({ currentVersion: 0x01050000, trial: true }))).toEqual([]);
  });

  it('refuses an upgrade to N-1 even when it moves forward', () => {
    // From retired 1.1.0 (out of policy itself) to previous 1.3.7: one step in service, but not to N.
    expect(rules(checkDevice(catalogue, esme({ currentVersion: 0x01010000, upgradeTo: 0x01030007 })))).toEqual(['version-not-current', 'upgrade-not-to-approved']);
  });

  it('does not count a withdrawn (retired) candidate as a step', () => {
    const hub: EstateDevice = { id: 'hub', deviceType: 'CHF', model: 'HUB-2G-A', manufacturerCode: 0x1a01, hardwareVersion: 0x0100, currentVersion: 0x00030000, trial: true };
    expect(checkDevice(catalogue, { ...hub, upgradeTo: 0x00030100 })).toEqual([]);
    expect(rules(checkDevice(catalogue, { ...hub, currentVersion: 0x00020400, upgradeTo: 0x00030100 }))).toEqual(['multi-hop-upgrade']);
  });
});

describe('multi-hop exceptions', () => {
  const multiHop = (c: FirmwareCatalogue, from: number, to: number, change: Partial<EstateDevice> = {}) =>
    rules(checkDevice(c, esme({ currentVersion: from, upgradeTo: to, ...change }))).includes('multi-hop-upgrade');

  it('permits exactly the recorded hop', () => {
    expect(multiHop(catalogue, 0x01020000, 0x01040002)).toBe(false); // CR-2024-0117: 1.2.0 → 1.4.2
    expect(multiHop(catalogue, 0x01010000, 0x01040002)).toBe(true); // other start
    expect(multiHop(catalogue, 0x01020000, 0x01050000, { trial: true })).toBe(true); // other end
  });

  it('is what permits the hop, and only for its own model', () => {
    expect(multiHop({ ...catalogue, exceptions: [] }, 0x01020000, 0x01040002)).toBe(true);
    const elsewhere = { ...catalogue, exceptions: catalogue.exceptions.map((e) => ({ ...e, model: 'GSME-C' })) };
    expect(multiHop(elsewhere, 0x01020000, 0x01040002)).toBe(true);
  });
});

describe('image admission', () => {
  const header = (change: Partial<ImageIdentity> = {}): ImageIdentity => ({
    manufacturerCode: 0x1b02,
    imageType: 0x0002,
    fileVersion: 0x01040002,
    hardwareVersions: { min: 0x0200, max: 0x02ff },
    ...change,
  });
  const refusal = (device: EstateDevice, image: ImageIdentity) => {
    const result = admitImage(catalogue, device, image);
    return result.ok ? 'admitted' : result.violation.rule;
  };
  const onPrevious = esme({ currentVersion: 0x01030007 });

  it('admits N for a device on N-1 and says which version it is', () => {
    const result = admitImage(catalogue, onPrevious, header());
    expect(result).toMatchObject({ ok: true, version: { label: '1.4.2', state: 'approved' } });
  });

  it.each<[string, EstateDevice, Partial<ImageIdentity>, RuleId]>([
    ['another manufacturer', onPrevious, { manufacturerCode: 0x1c03 }, 'wrong-manufacturer'],
    ['another image type', onPrevious, { imageType: 0x0003 }, 'wrong-image-type'],
    ['hardware the image excludes', onPrevious, { hardwareVersions: { min: 0x0201, max: 0x02ff } }, 'hardware-out-of-range'],
    ['a version the catalogue does not know', onPrevious, { fileVersion: 0x01040003 }, 'unknown-version'],
    ['a retired version', esme({ currentVersion: 0x01010000 }), { fileVersion: 0x01020000 }, 'retired-version'],
    ['a downgrade', esme(), { fileVersion: 0x01030007 }, 'downgrade'],
    ['the running version again', esme(), {}, 'downgrade'],
    ['a multi-hop upgrade', esme({ currentVersion: 0x01010000 }), {}, 'multi-hop-upgrade'],
    ['the candidate outside the trial', esme(), { fileVersion: 0x01050000 }, 'upgrade-not-to-approved'],
    ['N-1', esme({ currentVersion: 0x01010000 }), { fileVersion: 0x01030007 }, 'upgrade-not-to-approved'],
    ['any image for a device of unknown model', esme({ model: 'ESME-3PH-Z' }), {}, 'unknown-model'],
    ['any image for a device unlike its model', esme({ currentVersion: 0x01030007, hardwareVersion: 0x0100 }), { hardwareVersions: { min: 0, max: 0xffff } }, 'hardware-out-of-range'],
  ])('refuses %s', (_, device, change, rule) => {
    expect(refusal(device, header(change))).toBe(rule);
  });

  it('admits the multi-hop a recorded exception covers, and the candidate on a trial device', () => {
    expect(refusal(esme({ currentVersion: 0x01020000 }), header())).toBe('admitted');
    expect(refusal(esme({ trial: true }), header({ fileVersion: 0x01050000 }))).toBe('admitted');
  });

  describe('with a real GB image', () => {
    const signingKey = privateKeyFromPem(readFileSync(join(RTDS_KEYSTORE, '90b3d51f30010000-ds.key'), 'utf8'));
    // The sample catalogue's hash for ESME-1PH-B 1.4.2 is the SHA-256 of this text.
    const gbImage = (manufacturerImage: string, manufacturerCode = 0x1b02) =>
      parseGbImage(
        buildGbImage({ manufacturerCode, imageType: 0x0002, fileVersion: 0x01040002, minHardwareVersion: 0x0200, maxHardwareVersion: 0x02ff, manufacturerImage: Buffer.from(manufacturerImage), signingKey }),
      ).image;

    it('admits the catalogued image and refuses one whose manufacturer image differs', () => {
      const good = gbImage('ESME-1PH-B 1.4.2');
      expect(admitImage(catalogue, onPrevious, good.header, { manufacturerImageHash: good.manufacturerImageHash }).ok).toBe(true);
      const tampered = gbImage('ESME-1PH-B 1.4.2 patched');
      const result = admitImage(catalogue, onPrevious, tampered.header, { manufacturerImageHash: tampered.manufacturerImageHash });
      expect(result.ok ? 'admitted' : result.violation.rule).toBe('image-hash-mismatch');
    });

    it('refuses a signed image built for another manufacturer', () => {
      const other = gbImage('ESME-1PH-B 1.4.2', 0x1c03);
      expect(refusal(onPrevious, other.header)).toBe('wrong-manufacturer');
    });
  });
});

describe('policy files', () => {
  const problems = (parse: () => unknown): string[] => {
    try {
      parse();
    } catch (e) {
      if (e instanceof PolicyFileError) return e.message.split('\n');
      throw e;
    }
    throw new Error('expected the file to be refused');
  };

  it('reads JSON, with hex numbers as "0x…" strings', () => {
    const estate = parseEstate(
      JSON.stringify({ devices: [{ id: 'a', deviceType: 'GSME', model: 'GSME-C', manufacturerCode: '0x1C03', hardwareVersion: 2, currentVersion: '0x00000211' }] }, null, '\t'),
      'estate.json',
    );
    expect(estate.devices[0]).toMatchObject({ manufacturerCode: 0x1c03, currentVersion: 0x211 });
    expect(checkEstate(catalogue, estate)).toEqual([]);
  });

  it('names file, line, column, what was found and what was expected', () => {
    const text = ['models:', '  - model: A', '    deviceType: ESMEE', '    manufacturerCode: 0x10000', '    imageTyp: 1', '    hardwareVersions: { min: 3, max: 2 }', '    versions: []', ''].join('\n');
    expect(problems(() => parseCatalogue(text, 'bad.yaml'))).toEqual([
      'bad.yaml:3:17: models[0].deviceType: found "ESMEE", expected one of "ESME", "GSME", "CHF", "PPMID", "IHD"',
      'bad.yaml:4:23: models[0].manufacturerCode: found 65536, expected a 16-bit unsigned integer, 0 to 0xFFFF (decimal, or 0x… hex)',
      'bad.yaml:2:5: models[0].imageType: found nothing (the key is missing), expected a 16-bit unsigned integer, 0 to 0xFFFF (decimal, or 0x… hex)',
      'bad.yaml:6:38: models[0].hardwareVersions.max: found 2, expected max to be at least min',
      'bad.yaml:7:15: models[0].versions: found an empty list, expected at least 1 item',
      'bad.yaml:5:5: models[0].imageTyp: found an unknown key, expected only the keys model, deviceType, manufacturerCode, imageType, hardwareVersions, versions, manufactured',
    ]);
  });

  it('points at the second use of a device id, and at a misplaced manufactured version', () => {
    const devices = readFixture('estate-clean.yaml').replace('00-1A-01-00-00-00-00-02', '00-1A-01-00-00-00-00-01');
    expect(problems(() => parseEstate(devices, 'estate.yaml'))).toEqual([
      'estate.yaml:5:11: devices[1].id: found "00-1A-01-00-00-00-00-01", expected each id once; also at devices[0]',
    ]);
    const made = readFixture('catalogue.yaml').replace('imageType: 0x0002\n', 'imageType: 0x0002\n    manufactured: 0x01040002\n');
    expect(problems(() => parseCatalogue(made, 'catalogue.yaml'))).toEqual([
      'catalogue.yaml:21:19: models[1].manufactured: found 17039362, expected no manufactured version: only Comms Hubs (CHF) have one, this is ESME',
    ]);
  });

  it('reports YAML syntax errors and empty files with a position', () => {
    expect(problems(() => parseEstate('devices: [\n', 'syntax.yaml'))[0]).toMatch(/^syntax\.yaml:2:1: not valid YAML or JSON: /);
    expect(problems(() => parseEstate('{ "devices": [], "devices": [] }', 'dup.json'))[0]).toMatch(/^dup\.json:1:18: not valid YAML or JSON: Map keys must be unique/);
    expect(problems(() => parseEstate('', 'empty.yaml'))).toEqual(['empty.yaml:1:1: found nothing (the file is empty), expected a mapping']);
  });
});

describe('hanlab fw policy', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hanlab-policy-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]) => runCli(registerFwCommands, ['fw', 'policy', ...args]);
  const policy = (catalogueFile: string, estateFile: string, ...more: string[]) => run('--catalogue', catalogueFile, '--estate', estateFile, ...more);

  it('exits 0 with a summary when nothing is wrong', async () => {
    const result = await policy(fixture('catalogue.yaml'), fixture('estate-clean.yaml'));
    expect(result).toEqual({ code: 0, out: 'no violations in 4 models and 9 devices\n', err: '' });
  });

  it('exits 1 and prints each violation with its device and rule', async () => {
    const result = await policy(fixture('catalogue.yaml'), fixture('estate-violations.yaml'));
    expect(result.code).toBe(1);
    const lines = result.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^device\s+model\s+rule\s+severity\s+message$/);
    expect(lines).toContainEqual(expect.stringMatching(/^00-00-00-00-00-00-01-0B\s+HUB-2G-A\s+downgrade\s+error\s+upgrade target 0x00020400/));
    expect(lines).toContainEqual(expect.stringMatching(/^00-00-00-00-00-00-01-01\s+-\s+unknown-model\s+error\s/));
    expect(lines.at(-1)).toBe('14 violations (14 errors, 0 warnings) in 4 models and 13 devices');
  });

  it('writes JSON lines with --json: the violations, then a summary', async () => {
    const result = await policy(fixture('catalogue-inconsistent.yaml'), fixture('estate-clean.yaml'), '--json');
    expect(result.code).toBe(1);
    const records = result.out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = records.pop();
    expect(summary).toEqual({ summary: { violations: records.length, errors: records.length - 1, warnings: 1, models: 7, devices: 9 } });
    expect(records).toContainEqual({ rule: 'hub-manufactured-not-approved', severity: 'error', model: 'HUB-OLD-BUILD', message: expect.stringContaining('manufactured with 1 (previous)') });
    expect(records.filter((r) => r.rule === 'unknown-model')).toHaveLength(9);
  });

  it('exits 2 naming file, line and column for an invalid file', async () => {
    const bad = join(dir, 'estate.yaml');
    writeFileSync(bad, readFixture('estate-clean.yaml').replace('deviceType: GSME', 'deviceType: GAS'));
    const result = await policy(fixture('catalogue.yaml'), bad);
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toBe(`hanlab fw policy: ${bad}:10:48: devices[6].deviceType: found "GAS", expected one of "ESME", "GSME", "CHF", "PPMID", "IHD"\n`);
  });

  it('exits 2 for a file it cannot read, and for a missing option', async () => {
    const missing = await policy(join(dir, 'nope.yaml'), fixture('estate-clean.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`cannot read catalogue ${join(dir, 'nope.yaml')}`);
    const noEstate = await run('--catalogue', fixture('catalogue.yaml'));
    expect(noEstate.code).not.toBe(0);
    expect(noEstate.err).toContain('--estate');
  });
});
