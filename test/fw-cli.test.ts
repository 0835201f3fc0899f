import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerFwCommands } from '../src/cli/fw.ts';
import { buildOtaImage, headerStringFromText } from '../src/ota/image.ts';
import { RTDS_KEYSTORE } from './support/rtds.ts';
import { runCli } from './support/cli.ts';

const PRIVATE_KEY = join(RTDS_KEYSTORE, '90b3d51f30010000-ds.key');
const CERTIFICATE = join(RTDS_KEYSTORE, '90b3d51f30010000-ds.pem');

const run = (...args: string[]) => runCli(registerFwCommands, ['fw', ...args]);

let dir: string;
const at = (name: string) => join(dir, name);
const payload = new Uint8Array(500).map((_, i) => (i * 31 + 7) & 0xff);

const buildArgs = (out: string) => [
  'build', '--manufacturer', '0x121D', '--image-type', '3', '--file-version', '0x00010203',
  '--hw-min', '0x0100', '--hw-max', '512', '--payload', at('payload.bin'), '--key', PRIVATE_KEY, '--out', out,
];

const flipBit = (b: Uint8Array, at: number, bit: number) => b.set([b[at]! ^ (1 << bit)], at);

/** Writes a copy of the built image with one change, for verify to judge. */
function variant(name: string, change: (b: Uint8Array) => void): string {
  const bytes = new Uint8Array(readFileSync(at('good.img')));
  change(bytes);
  writeFileSync(at(name), bytes);
  return at(name);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hanlab-fw-'));
  writeFileSync(at('payload.bin'), payload);
  const built = await run(...buildArgs(at('good.img')));
  expect(built.code).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fw build', () => {
  it('writes a reproducible image and reports the manufacturer image hash', async () => {
    const again = await run(...buildArgs(at('again.img')));
    expect(again.code).toBe(0);
    expect(readFileSync(at('again.img'))).toEqual(readFileSync(at('good.img')));
    expect(again.out).toContain(createHash('sha256').update(payload).digest('hex'));
    expect(readFileSync(at('good.img')).length).toBe(60 + payload.length + 66);
  });

  it('refuses a number out of range without writing anything', async () => {
    const result = await run(...buildArgs(at('bad.img')).map((a) => (a === '0x121D' ? '0x10000' : a)));
    expect(result.code).not.toBe(0);
    expect(result.err).toContain('--manufacturer');
    expect(existsSync(at('bad.img'))).toBe(false);
  });

  it('reports an unreadable key with exit code 2', async () => {
    writeFileSync(at('junk.pem'), 'not a key');
    const result = await run(...buildArgs(at('bad.img')).map((a) => (a === PRIVATE_KEY ? at('junk.pem') : a)));
    expect(result.code).toBe(2);
    expect(result.err).toContain('junk.pem');
    expect(existsSync(at('bad.img'))).toBe(false);
  });
});

describe('fw inspect', () => {
  it('round-trips the build options through --json', async () => {
    const result = await run('inspect', at('good.img'), '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.out);
    expect(report.layout).toBe('gb');
    expect(report.header).toMatchObject({
      headerLength: 60, fieldControl: 4, manufacturerCode: 0x121d, imageType: 3, fileVersion: 0x00010203,
      zigbeeStackVersion: 2, minHardwareVersion: 0x0100, maxHardwareVersion: 512, totalImageSize: 60 + payload.length + 66,
    });
    expect(report.parts.map((p: { name: string; offset: number; length: number }) => [p.name.split(' (')[0], p.offset, p.length])).toEqual([
      ['manufacturer image', 60, 500],
      ['force replace', 560, 1],
      ['signature length', 561, 1],
      ['signature', 562, 64],
    ]);
    expect(report.trailing.length).toBe(0);
    expect(report.gb.manufacturerImageHash).toBe(createHash('sha256').update(payload).digest('hex'));
    expect(report.gb.signatureCovers).toMatch(/manufacturer image only.*not the OTA header/);
  });

  it('says plainly, in text, what the signature covers', async () => {
    const result = await run('inspect', at('good.img'));
    expect(result.code).toBe(0);
    expect(result.out).toContain('the GB signature covers the manufacturer image only (bytes 60–559), not the OTA header');
    expect(result.out).toMatch(/manufacturer code\s+0x121d\n/);
  });

  it('lists the elements of a plain ZigBee OTA file with tags, names, offsets, lengths and trailing bytes', async () => {
    const file = buildOtaImage({
      header: {
        headerVersion: 0x0100, manufacturerCode: 0x1037, imageType: 0x0101, fileVersion: 7, zigbeeStackVersion: 2,
        headerString: headerStringFromText('vendor image'), upgradeFileDestination: '00db1234567890a1', extraHeaderBytes: new Uint8Array(0),
      },
      elements: [{ tag: 0x0000, data: new Uint8Array(20) }, { tag: 0xf000, data: new Uint8Array(4) }],
      trailing: Uint8Array.of(0xca, 0xfe),
    });
    writeFileSync(at('zigbee.ota'), file);
    const text = await run('inspect', at('zigbee.ota'));
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/64\s+0x0000\s+70\s+20\s+upgrade image/);
    expect(text.out).toMatch(/90\s+0xf000\s+96\s+4\s+manufacturer-specific/);
    expect(text.out).toContain('trailing bytes: 2 after the total image size, at offset 100: cafe');
    expect(text.out).toMatch(/upgrade file destination\s+00db1234567890a1\n/);
    const json = JSON.parse((await run('inspect', at('zigbee.ota'), '--json')).out);
    expect(json.layout).toBe('zigbee');
    expect(json.parts.map((p: { tag: number; kind: string }) => [p.tag, p.kind])).toEqual([[0, 'standard'], [0xf000, 'manufacturer-specific']]);
    expect(json.trailing).toEqual({ offset: 100, length: 2, hex: 'cafe' });
  });

  it('refuses a file that is no OTA image, with the offset, exit code 1', async () => {
    writeFileSync(at('random.bin'), payload);
    const result = await run('inspect', at('random.bin'));
    expect(result.code).toBe(1);
    expect(result.err).toContain('at byte 0: OTA upgrade file identifier');
  });

  it('exits 2 for a file it cannot read', async () => {
    const result = await run('inspect', at('missing.img'));
    expect(result.code).toBe(2);
    expect(result.err).toContain('missing.img');
  });
});

describe('fw verify', () => {
  it('accepts the good image (exit 0)', async () => {
    const result = await run('verify', at('good.img'), '--key', CERTIFICATE);
    expect(result.code).toBe(0);
    expect(result.out).toContain('valid');
  });

  it.each([
    ['a flipped bit in the manufacturer image', (b) => flipBit(b, 300, 4), 'bad-signature'],
    ['a flipped bit in the signature', (b) => flipBit(b, 600, 0), 'bad-signature'],
    ['header sizes that disagree with the file', (b) => new DataView(b.buffer).setUint16(6, 64, true), 'size-mismatch'],
    ['a wrong signature length byte', (b) => b.set([0x48], 561), 'wrong-signature-length'],
  ] as [string, (b: Uint8Array) => void, string][])('refuses %s (exit 1, with the reason)', async (name, change, reason) => {
    const result = await run('verify', variant(`${name.replace(/\W+/g, '-')}.img`, change), '--key', CERTIFICATE);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`invalid (${reason})`);
  });

  it('refuses a truncated image (exit 1)', async () => {
    writeFileSync(at('short.img'), readFileSync(at('good.img')).subarray(0, 200));
    const result = await run('verify', at('short.img'), '--key', CERTIFICATE);
    expect(result.code).toBe(1);
    expect(result.out).toContain('invalid (truncated)');
  });

  it('exits 2 when the image or the key cannot be read', async () => {
    expect((await run('verify', at('missing.img'), '--key', CERTIFICATE)).code).toBe(2);
    writeFileSync(at('junk-cert.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const badKey = await run('verify', at('good.img'), '--key', at('junk-cert.pem'));
    expect(badKey.code).toBe(2);
    expect(badKey.err).toContain('junk-cert.pem');
  });
});
