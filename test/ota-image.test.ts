import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../src/bytes.ts';
import { privateKeyFromPem, publicKeyFromPem } from '../src/crypto/keys.ts';
import {
  buildGbImage,
  manufacturerImageHash,
  parseGbImage,
  verifyGbImage,
  type GbImageBuildOptions,
} from '../src/ota/gb-image.ts';
import {
  buildOtaImage,
  elementKind,
  elementName,
  headerStringFromText,
  headerStringText,
  OtaBuildError,
  OtaImageError,
  parseOtaImage,
  writeOtaHeader,
  type OtaHeader,
  type OtaImage,
} from '../src/ota/image.ts';
import { RTDS_KEYSTORE } from './support/rtds.ts';

const supplierKey = privateKeyFromPem(readFileSync(join(RTDS_KEYSTORE, '90b3d51f30010000-ds.key'), 'utf8'));
const supplierCert = publicKeyFromPem(readFileSync(join(RTDS_KEYSTORE, '90b3d51f30010000-ds.pem'), 'utf8'));
const networkOperatorCert = publicKeyFromPem(readFileSync(join(RTDS_KEYSTORE, '90b3d51f30020000-ds.pem'), 'utf8'));

const bytesOf = (...values: number[]) => Uint8Array.from(values);
const patchU16 = (b: Uint8Array, at: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint16(at, v, true);
const patchU32 = (b: Uint8Array, at: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(at, v, true);
type Change = (b: Uint8Array) => void;
/** Flips the bits of `mask` in the byte at `at` (negative: from the end). */
const flip = (at: number, mask: number): Change => (b) => {
  const i = at < 0 ? b.length + at : at;
  b[i] = b[i]! ^ mask;
};
const setByte = (at: number, value: number): Change => (b) => {
  b[at] = value;
};

function header(overrides: Partial<OtaHeader> = {}): OtaHeader {
  return {
    headerVersion: 0x0100,
    manufacturerCode: 0x1234,
    imageType: 0x0001,
    fileVersion: 0x01020304,
    zigbeeStackVersion: 0x0002,
    headerString: headerStringFromText('hanlab test image'),
    extraHeaderBytes: new Uint8Array(0),
    ...overrides,
  };
}

const simpleImage = (): OtaImage => ({
  header: header(),
  elements: [{ tag: 0x0000, data: bytesOf(1, 2, 3, 4, 5) }],
  trailing: new Uint8Array(0),
});

/** Runs `parse` and returns the OtaImageError it throws; fails the test if it throws nothing or something else. */
function refusal(parse: () => unknown): OtaImageError {
  try {
    parse();
  } catch (e) {
    expect(e).toBeInstanceOf(OtaImageError);
    return e as OtaImageError;
  }
  throw new Error('expected the file to be refused');
}

describe('ZigBee OTA file', () => {
  it('writes the header little-endian at the spec offsets', () => {
    const bytes = buildOtaImage(simpleImage());
    expect(Buffer.from(bytes.subarray(0, 4)).toString('hex')).toBe('1ef1ee0b');
    const view = new DataView(bytes.buffer);
    expect(view.getUint16(4, true)).toBe(0x0100);
    expect(view.getUint16(6, true)).toBe(56);
    expect(view.getUint16(8, true)).toBe(0x0000);
    expect(view.getUint16(10, true)).toBe(0x1234);
    expect(view.getUint32(14, true)).toBe(0x01020304);
    expect(view.getUint32(52, true)).toBe(56 + 6 + 5);
    expect(view.getUint16(56, true)).toBe(0x0000); // first element's tag
    expect(view.getUint32(58, true)).toBe(5);
  });

  it('parses what it builds: every optional field, vendor and reserved tags, extra header bytes, trailing bytes', () => {
    const image: OtaImage = {
      header: header({
        securityCredentialVersion: 0x02,
        upgradeFileDestination: '00db1234567890a0',
        hardwareVersions: { min: 0x0101, max: 0x0203 },
        extraHeaderBytes: bytesOf(0xaa, 0xbb, 0xcc),
      }),
      elements: [
        { tag: 0x0000, data: bytesOf(9, 8, 7) },
        { tag: 0xf000, data: bytesOf(0x5a) },
        { tag: 0x0100, data: new Uint8Array(0) },
        { tag: 0xffff, data: bytesOf(1, 2) },
      ],
      trailing: bytesOf(0xde, 0xad),
    };
    const bytes = buildOtaImage(image);
    const { image: parsed, layout } = parseOtaImage(bytes);
    expect(parsed).toEqual(image);
    expect(layout.fieldControl).toBe(0x0007);
    expect(layout.headerLength).toBe(56 + 1 + 8 + 4 + 3);
    expect(layout.totalImageSize).toBe(bytes.length - 2);
    expect(layout.elements.map((e) => [e.tag, e.offset, e.dataOffset, e.length])).toEqual([
      [0x0000, 72, 78, 3],
      [0xf000, 81, 87, 1],
      [0x0100, 88, 94, 0],
      [0xffff, 94, 100, 2],
    ]);
    // The EUI-64 is stored least significant byte first, like every other field.
    expect(Buffer.from(bytes.subarray(57, 65)).toString('hex')).toBe('a09078563412db00');
  });

  it('names the standard tags and keeps 0xF000–0xFFFF as manufacturer-specific', () => {
    expect(elementName(0x0000)).toBe('upgrade image');
    expect(elementName(0x0005)).toBe('ECDSA signature (crypto suite 2)');
    expect(elementName(0x0006)).toBe('ECDSA signing certificate (crypto suite 2)');
    expect([0x0003, 0xf000, 0xffff, 0x0007].map(elementKind)).toEqual(['standard', 'manufacturer-specific', 'manufacturer-specific', 'reserved']);
  });

  it('reports header bytes beyond what the field control needs, exactly', () => {
    const bytes = buildOtaImage(simpleImage());
    const padded = concatBytes(bytes.subarray(0, 56), bytesOf(0x11, 0x22), bytes.subarray(56));
    patchU16(padded, 6, 58);
    patchU32(padded, 52, padded.length);
    const { image, layout } = parseOtaImage(padded);
    expect(layout.headerLength).toBe(58);
    expect(image.header.extraHeaderBytes).toEqual(bytesOf(0x11, 0x22));
    expect(image.elements).toEqual(simpleImage().elements);
  });

  it('reports bytes after the declared total size as trailing, not as elements', () => {
    const bytes = concatBytes(buildOtaImage(simpleImage()), bytesOf(0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5));
    const { image, layout } = parseOtaImage(bytes);
    expect(image.elements).toHaveLength(1);
    expect(image.trailing).toHaveLength(11);
    expect(layout.totalImageSize).toBe(bytes.length - 11);
  });

  describe('refuses, with the offset and the reason', () => {
    it('a bad magic number', () => {
      const bytes = buildOtaImage(simpleImage());
      bytes[3] = 0x0c;
      const e = refusal(() => parseOtaImage(bytes));
      expect([e.code, e.offset]).toEqual(['bad-magic', 0]);
      expect(e.reason).toContain('0x0ceef11e');
    });

    it('a header version of unknown layout', () => {
      const bytes = buildOtaImage(simpleImage());
      patchU16(bytes, 4, 0x0200);
      expect(refusal(() => parseOtaImage(bytes))).toMatchObject({ code: 'unsupported-header-version', offset: 4 });
    });

    it('reserved field-control bits', () => {
      const bytes = buildOtaImage(simpleImage());
      patchU16(bytes, 8, 0x0008);
      expect(refusal(() => parseOtaImage(bytes))).toMatchObject({ code: 'reserved-field-control-bits', offset: 8 });
    });

    it('a header length too short for the fields the field control announces', () => {
      const bytes = buildOtaImage({ ...simpleImage(), header: header({ hardwareVersions: { min: 1, max: 2 } }) });
      patchU16(bytes, 6, 58);
      const e = refusal(() => parseOtaImage(bytes));
      expect([e.code, e.offset]).toEqual(['header-length', 6]);
      expect(e.reason).toContain('60 bytes');
    });

    it('a header length beyond the total image size', () => {
      const bytes = buildOtaImage(simpleImage());
      patchU16(bytes, 6, bytes.length + 1);
      expect(refusal(() => parseOtaImage(bytes))).toMatchObject({ code: 'total-size-below-header', offset: 52 });
    });

    it('a total image size larger than the file', () => {
      const bytes = buildOtaImage(simpleImage());
      patchU32(bytes, 52, bytes.length + 1);
      const e = refusal(() => parseOtaImage(bytes));
      expect([e.code, e.offset]).toEqual(['total-size-beyond-file', 52]);
    });

    it('a file that ends inside the header', () => {
      const bytes = buildOtaImage(simpleImage()).subarray(0, 30);
      const e = refusal(() => parseOtaImage(bytes));
      expect([e.code, e.offset]).toEqual(['truncated', 20]);
      expect(e.reason).toContain('header string');
    });

    it('an element whose length overruns the total image size', () => {
      const bytes = buildOtaImage({ ...simpleImage(), elements: [{ tag: 0, data: bytesOf(1) }, { tag: 0xf000, data: bytesOf(1, 2, 3) }] });
      patchU32(bytes, 63 + 2, 4); // second element, at 56 + 7
      const e = refusal(() => parseOtaImage(bytes));
      expect([e.code, e.offset]).toEqual(['element-overrun', 63]);
      expect(e.reason).toContain('0xf000');
    });

    it('an element list that ends short of the total image size', () => {
      const bytes = concatBytes(buildOtaImage(simpleImage()), bytesOf(0, 0, 0));
      patchU32(bytes, 52, bytes.length);
      const e = refusal(() => parseOtaImage(bytes));
      expect([e.code, e.offset]).toEqual(['element-list-end', bytes.length - 3]);
    });

    it('a vendor 0xF000 element that does not follow tag + length (Telink style) rather than mis-splitting it', () => {
      // Telink puts a 32-bit value where the length goes; the rest of the image follows without a length.
      const telinkish = concatBytes(bytesOf(0x00, 0xf0), bytesOf(0x10, 0x27, 0x00, 0x00), new Uint8Array(40).fill(7));
      const base = buildOtaImage({ ...simpleImage(), elements: [] });
      const bytes = concatBytes(base, telinkish);
      patchU32(bytes, 52, bytes.length);
      expect(refusal(() => parseOtaImage(bytes))).toMatchObject({ code: 'element-overrun', offset: 56 });
    });
  });

  it('refuses to build what it cannot write', () => {
    expect(() => buildOtaImage({ ...simpleImage(), header: header({ manufacturerCode: 0x10000 }) })).toThrow(OtaBuildError);
    expect(() => buildOtaImage({ ...simpleImage(), header: header({ headerString: new Uint8Array(31) }) })).toThrow(OtaBuildError);
    expect(() => buildOtaImage({ ...simpleImage(), header: header({ upgradeFileDestination: 'not an eui' }) })).toThrow(OtaBuildError);
    expect(() => headerStringFromText('x'.repeat(33))).toThrow(OtaBuildError);
  });

  it('shows header strings as text, NUL padding dropped and odd bytes escaped', () => {
    expect(headerStringText(headerStringFromText('ESME v2'))).toBe('ESME v2');
    const odd = new Uint8Array(32);
    odd.set([0x41, 0x00, 0xff, 0x5c]);
    expect(headerStringText(odd)).toBe('A\\x00\\xff\\x5c');
  });
});

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytesArb = (maxLength: number) => fc.uint8Array({ maxLength });

const headerArb: fc.Arbitrary<OtaHeader> = fc
  .record({
    headerVersion: fc.integer({ min: 0x0100, max: 0x01ff }),
    manufacturerCode: u16,
    imageType: u16,
    fileVersion: u32,
    zigbeeStackVersion: u16,
    headerString: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    securityCredentialVersion: fc.option(fc.integer({ min: 0, max: 0xff }), { nil: undefined }),
    upgradeFileDestination: fc.option(fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b).toString('hex')), { nil: undefined }),
    hardwareVersions: fc.option(fc.record({ min: u16, max: u16 }), { nil: undefined }),
    extraHeaderBytes: bytesArb(8),
  })
  .map((h) => {
    // Absent optional fields are absent keys, as the parser gives them.
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = v;
    return out as unknown as OtaHeader;
  });

const imageArb: fc.Arbitrary<OtaImage> = fc.record({
  header: headerArb,
  elements: fc.array(fc.record({ tag: u16, data: bytesArb(40) }), { maxLength: 5 }),
  trailing: bytesArb(12),
});

/** Bit flips, truncations and inserted bytes applied to a valid file. */
function mutated(base: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return base.chain((bytes) =>
    fc.oneof(
      fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }).map((flips) => {
        const out = bytes.slice();
        for (const [at, bit] of flips) flip(at, 1 << bit)(out);
        return out;
      }),
      fc.nat(bytes.length - 1).map((n) => bytes.slice(0, n)),
      fc.tuple(fc.nat(bytes.length), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([at, extra]) => concatBytes(bytes.subarray(0, at), extra, bytes.subarray(at))),
    ),
  );
}

describe('ZigBee OTA file, properties', () => {
  it('parse(build(x)) = x', () => {
    fc.assert(
      fc.property(imageArb, (image) => {
        expect(parseOtaImage(buildOtaImage(image)).image).toEqual(image);
      }),
      { numRuns: 400 },
    );
  });

  it('a mutated file is either refused with OtaImageError or parsed with every byte accounted for', () => {
    fc.assert(
      fc.property(mutated(imageArb.map(buildOtaImage)), (bytes) => {
        let parsed;
        try {
          parsed = parseOtaImage(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(OtaImageError);
          const { offset } = e as OtaImageError;
          expect(offset >= 0 && offset <= bytes.length).toBe(true);
          return;
        }
        expect(buildOtaImage(parsed.image)).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });
});

function gbOptions(overrides: Partial<GbImageBuildOptions> = {}): GbImageBuildOptions {
  return {
    manufacturerCode: 0x121d,
    imageType: 0x0001,
    fileVersion: 0x00020003,
    minHardwareVersion: 0x0100,
    maxHardwareVersion: 0x01ff,
    manufacturerImage: new Uint8Array(300).map((_, i) => (i * 7) & 0xff),
    signingKey: supplierKey,
    ...overrides,
  };
}

describe('GB firmware image', () => {
  it('lays out header (60 bytes), manufacturer image, force replace, 0x40 and the signature within the total size', () => {
    const options = gbOptions({ headerString: 'ESME firmware', forceReplace: true });
    const bytes = buildGbImage(options);
    expect(bytes.length).toBe(60 + 300 + 2 + 64);
    const { image, layout, trailing } = parseGbImage(bytes);
    expect(layout).toMatchObject({ headerLength: 60, totalImageSize: bytes.length, manufacturerImageOffset: 60, manufacturerImageLength: 300, forceReplaceOffset: 360, signatureLengthOffset: 361, signatureOffset: 362 });
    expect(trailing).toHaveLength(0);
    expect(image.header).toMatchObject({ manufacturerCode: 0x121d, imageType: 1, fileVersion: 0x00020003, zigbeeStackVersion: 2, hardwareVersions: { min: 0x0100, max: 0x01ff } });
    expect(headerStringText(image.header.headerString)).toBe('ESME firmware');
    expect(new DataView(bytes.buffer).getUint16(8, true)).toBe(0x0004);
    expect(image.manufacturerImage).toEqual(options.manufacturerImage);
    expect(image.forceReplace).toBe(true);
    expect([bytes[360], bytes[361]]).toEqual([0x01, 0x40]);
  });

  it('hashes the manufacturer image with SHA-256 (known answer) and nothing else', () => {
    const abc = new TextEncoder().encode('abc');
    expect(Buffer.from(manufacturerImageHash(abc)).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const options = gbOptions();
    const expected = createHash('sha256').update(options.manufacturerImage).digest();
    expect(parseGbImage(buildGbImage(options)).image.manufacturerImageHash).toEqual(new Uint8Array(expected));
  });

  it('signs deterministically, so builds are reproducible', () => {
    expect(buildGbImage(gbOptions())).toEqual(buildGbImage(gbOptions()));
  });

  it('is not a ZigBee element list: read as one, it is refused rather than mis-split', () => {
    const bytes = buildGbImage(gbOptions({ manufacturerImage: new Uint8Array(100).fill(0xff) }));
    expect(refusal(() => parseOtaImage(bytes))).toMatchObject({ code: 'element-overrun', offset: 60 });
  });

  it('refuses a plain ZigBee OTA file as a GB image', () => {
    const bytes = buildOtaImage(simpleImage());
    expect(refusal(() => parseGbImage(bytes))).toMatchObject({ code: 'not-gb-header', offset: 8 });
  });

  describe('verification', () => {
    const good = buildGbImage(gbOptions());

    it('accepts a good image with the signer certificate', () => {
      expect(verifyGbImage(good, supplierCert)).toMatchObject({ ok: true });
    });

    it('covers the manufacturer image only: a changed header field still verifies', () => {
      const bytes = good.slice();
      patchU32(bytes, 14, 0x99999999);
      expect(verifyGbImage(bytes, supplierCert).ok).toBe(true);
    });

    it.each([
      ['one bit of the manufacturer image', flip(100, 0x01), 'bad-signature'],
      ['one bit of the signature', flip(-1, 0x80), 'bad-signature'],
      ['the signature length byte', setByte(361, 0x41), 'wrong-signature-length'],
      ['the header length', (b: Uint8Array) => patchU16(b, 6, 62), 'size-mismatch'],
      ['the total image size (smaller)', (b: Uint8Array) => patchU32(b, 52, b.length - 1), 'size-mismatch'],
      ['the total image size (larger)', (b: Uint8Array) => patchU32(b, 52, b.length + 1), 'truncated'],
      ['the magic', setByte(0, 0), 'malformed'],
      ['the force-replace byte', setByte(360, 0x07), 'malformed'],
    ] as [string, Change, string][])('refuses a change to %s', (_, change, reason) => {
      const bytes = good.slice();
      change(bytes);
      const result = verifyGbImage(bytes, supplierCert);
      expect(result).toMatchObject({ ok: false, reason });
    });

    it('refuses a truncated file and one with bytes after the total size', () => {
      expect(verifyGbImage(good.subarray(0, good.length - 10), supplierCert)).toMatchObject({ ok: false, reason: 'truncated' });
      expect(verifyGbImage(good.subarray(0, 40), supplierCert)).toMatchObject({ ok: false, reason: 'truncated', offset: 20 });
      expect(verifyGbImage(concatBytes(good, bytesOf(0)), supplierCert)).toMatchObject({ ok: false, reason: 'size-mismatch', offset: good.length });
    });

    it('refuses an image checked with another party’s key', () => {
      expect(verifyGbImage(good, networkOperatorCert)).toMatchObject({ ok: false, reason: 'bad-signature' });
    });
  });

  it('mutated images give OtaImageError only, and parse with every byte accounted for', () => {
    const base = fc.uint8Array({ maxLength: 64 }).map((manufacturerImage) => buildGbImage(gbOptions({ manufacturerImage })));
    fc.assert(
      fc.property(mutated(base), (bytes) => {
        const verdict = verifyGbImage(bytes, supplierCert);
        let parsed;
        try {
          parsed = parseGbImage(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(OtaImageError);
          expect(verdict.ok).toBe(false);
          return;
        }
        const { image, layout, trailing } = parsed;
        const tail = bytesOf(image.forceReplace ? 1 : 0, 0x40);
        const rebuilt = concatBytes(writeOtaHeader(image.header, layout.totalImageSize), image.manufacturerImage, tail, image.signature, trailing);
        expect(rebuilt).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });
});
