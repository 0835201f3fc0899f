import { readFileSync, writeFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { toHex } from '../bytes.ts';
import { privateKeyFromPem, publicKeyFromPem, type PrivateKey, type PublicKey } from '../crypto/keys.ts';
import { OtaBuildError } from '../ota/errors.ts';
import { buildGbImage, manufacturerImageHash, verifyGbImage } from '../ota/gb-image.ts';
import { inspectFirmware, type InspectionReport, type LayoutChoice, type PartReport } from '../ota/inspect.ts';
import { registerFwPolicyCommand } from './fw-policy.ts';
import { ioFor, type Io } from './io.ts';

/** Exit codes: 0 success / valid, 1 the image is refused or invalid, 2 input that could not be read or used. */
const INVALID = 1;
const UNUSABLE_INPUT = 2;

/** An input that cannot be read or used; reported once, with exit code 2. */
class InputError extends Error {}

function readInput(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new InputError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

function readKey<K>(path: string, what: string, parse: (pem: string) => K): K {
  const pem = Buffer.from(readInput(path, what)).toString('utf8');
  try {
    return parse(pem);
  } catch (e) {
    throw new InputError(`${what} ${path}: ${(e as Error).message}`);
  }
}

/** Runs an action; unusable input becomes a message on stderr and exit code 2 rather than a stack trace. */
function guarded<A extends unknown[]>(action: (io: Io, ...args: A) => void): (...args: [...A, Command]) => void {
  return (...args) => {
    const io = ioFor(args[args.length - 1] as Command);
    try {
      action(io, ...(args.slice(0, -1) as A));
    } catch (e) {
      if (!(e instanceof InputError || e instanceof OtaBuildError)) throw e;
      io.err(`hanlab fw: ${e.message}\n`);
      process.exitCode = UNUSABLE_INPUT;
    }
  };
}

/** Unsigned integer option, decimal or 0x… hex, within `bits`. */
function unsigned(bits: 16 | 32): (text: string) => number {
  const max = 2 ** bits - 1;
  return (text) => {
    const value = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text.slice(2), 16) : /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value > max) {
      throw new InvalidArgumentError(`expected an integer from 0 to 0x${max.toString(16)} (decimal or 0x… hex)`);
    }
    return value;
  };
}

const hex = (n: number, digits: number) => `0x${n.toString(16).padStart(digits, '0')}`;

interface BuildOptions {
  manufacturer: number;
  imageType: number;
  fileVersion: number;
  hwMin: number;
  hwMax: number;
  payload: string;
  key: string;
  out: string;
  headerString?: string;
  forceReplace?: boolean;
}

function build(io: Io, opts: BuildOptions): void {
  const manufacturerImage = readInput(opts.payload, 'payload');
  const signingKey = readKey<PrivateKey>(opts.key, 'private key', privateKeyFromPem);
  const image = buildGbImage({
    manufacturerCode: opts.manufacturer,
    imageType: opts.imageType,
    fileVersion: opts.fileVersion,
    minHardwareVersion: opts.hwMin,
    maxHardwareVersion: opts.hwMax,
    manufacturerImage,
    signingKey,
    ...(opts.headerString === undefined ? {} : { headerString: opts.headerString }),
    ...(opts.forceReplace === undefined ? {} : { forceReplace: opts.forceReplace }),
  });
  try {
    writeFileSync(opts.out, image);
  } catch (e) {
    throw new InputError(`cannot write ${opts.out}: ${(e as Error).message}`);
  }
  io.out(
    [
      `wrote ${opts.out} (${image.length} bytes)`,
      `  manufacturer ${hex(opts.manufacturer, 4)}, image type ${hex(opts.imageType, 4)}, file version ${hex(opts.fileVersion, 8)}, hardware ${hex(opts.hwMin, 4)}–${hex(opts.hwMax, 4)}`,
      `  manufacturer image hash ${toHex(manufacturerImageHash(manufacturerImage))}`,
      '',
    ].join('\n'),
  );
}

function partRows(parts: PartReport[]): string[] {
  const tagged = parts.some((p) => p.tag !== undefined);
  const head = tagged ? ['offset', 'tag', 'data offset', 'length', 'element'] : ['offset', 'length', 'part'];
  const rows = parts.map((p) =>
    tagged ? [String(p.offset), p.tag === undefined ? '' : hex(p.tag, 4), String(p.dataOffset), String(p.length), p.name] : [String(p.offset), String(p.length), p.name],
  );
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => `  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}`);
}

function reportText(path: string, r: InspectionReport): string {
  const h = r.header;
  const field = (name: string, value: string) => `  ${name.padEnd(29)}${value}`;
  const lines = [
    `${path}: ${r.fileSize} bytes`,
    `layout: ${r.layout === 'gb' ? 'GB firmware image' : 'ZigBee OTA upgrade file'}`,
    'OTA header',
    field('magic', hex(h.magic, 8)),
    field('header version', hex(h.headerVersion, 4)),
    field('header length', String(h.headerLength)),
    field('field control', hex(h.fieldControl, 4)),
    field('manufacturer code', hex(h.manufacturerCode, 4)),
    field('image type', hex(h.imageType, 4)),
    field('file version', hex(h.fileVersion, 8)),
    field('ZigBee stack version', `${hex(h.zigbeeStackVersion, 4)}${h.zigbeeStackName ? ` (${h.zigbeeStackName})` : ''}`),
    field('header string', JSON.stringify(h.headerString)),
    field('total image size', String(h.totalImageSize)),
  ];
  if (h.securityCredentialVersion !== undefined) lines.push(field('security credential version', hex(h.securityCredentialVersion, 2)));
  if (h.upgradeFileDestination !== undefined) lines.push(field('upgrade file destination', h.upgradeFileDestination));
  if (h.minHardwareVersion !== undefined) lines.push(field('minimum hardware version', hex(h.minHardwareVersion, 4)));
  if (h.maxHardwareVersion !== undefined) lines.push(field('maximum hardware version', hex(h.maxHardwareVersion, 4)));
  if (h.extraHeaderBytes) lines.push(field('extra header bytes', `${h.extraHeaderBytes.length} at offset ${h.extraHeaderBytes.offset}: ${h.extraHeaderBytes.hex}`));
  lines.push(r.layout === 'gb' ? 'body' : 'elements', ...partRows(r.parts));
  const t = r.trailing;
  lines.push(t.length === 0 ? 'trailing bytes: none' : `trailing bytes: ${t.length} after the total image size, at offset ${t.offset}: ${t.hex.slice(0, 64)}${t.length > 32 ? '…' : ''}`);
  if (r.gb) {
    lines.push(`force replace: ${r.gb.forceReplace ? 'yes' : 'no'}`);
    lines.push(`manufacturer image hash: ${r.gb.manufacturerImageHash} (what CS06 Activate Firmware carries)`);
    lines.push(`the GB signature covers ${r.gb.signatureCovers}`);
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}

const REFUSAL_WHAT = { gb: 'not a GB firmware image', zigbee: 'not a ZigBee OTA upgrade file', any: 'not an OTA image' } as const;

function inspect(io: Io, file: string, opts: { json?: boolean; layout: LayoutChoice }): void {
  const result = inspectFirmware(readInput(file, 'file'), opts.layout);
  if (opts.json) {
    io.out(`${JSON.stringify(result.ok ? { file, ...result.report } : { file, refused: result.refusals }, null, 2)}\n`);
  } else if (result.ok) {
    io.out(reportText(file, result.report));
  } else {
    for (const r of result.refusals) io.err(`${file}: ${REFUSAL_WHAT[r.layout]}: at byte ${r.offset}: ${r.reason}\n`);
  }
  if (!result.ok) process.exitCode = INVALID;
}

function verify(io: Io, file: string, opts: { key: string }): void {
  const bytes = readInput(file, 'file');
  const key = readKey<PublicKey>(opts.key, 'public key', publicKeyFromPem);
  const result = verifyGbImage(bytes, key);
  if (result.ok) {
    io.out(`${file}: valid: the signature verifies over the manufacturer image; manufacturer image hash ${toHex(result.manufacturerImageHash)}\n`);
  } else {
    io.out(`${file}: invalid (${result.reason}): ${result.message}\n`);
    process.exitCode = INVALID;
  }
}

export function registerFwCommands(program: Command): void {
  const fw = program.command('fw').description('GB firmware images: build, inspect, verify, and check the N/N-1 policy');

  fw.command('build')
    .description('Build a signed GB firmware image: OTA header, manufacturer image, force-replace byte, signature')
    .requiredOption('--manufacturer <code>', 'ZigBee manufacturer code', unsigned(16))
    .requiredOption('--image-type <type>', 'image type', unsigned(16))
    .requiredOption('--file-version <version>', 'file version (32 bits)', unsigned(32))
    .requiredOption('--hw-min <version>', 'minimum hardware version', unsigned(16))
    .requiredOption('--hw-max <version>', 'maximum hardware version', unsigned(16))
    .requiredOption('--payload <file>', 'the manufacturer image')
    .requiredOption('--key <pem>', "the signer's private DS key (PEM)")
    .requiredOption('--out <file>', 'where to write the image')
    .option('--header-string <text>', 'OTA header string, printable ASCII, at most 32 characters')
    .option('--force-replace', 'set the force-replace byte')
    .action(guarded((io, opts: BuildOptions) => build(io, opts)));

  fw.command('inspect')
    .description('Show the header fields, elements or GB parts with offsets, trailing bytes and the manufacturer image hash')
    .argument('<file>', 'firmware image')
    .option('--json', 'machine-readable output')
    .addOption(new Option('--layout <layout>', 'how to read the file').choices(['auto', 'gb', 'zigbee']).default('auto'))
    .action(guarded((io, file: string, opts: { json?: boolean; layout: LayoutChoice }) => inspect(io, file, opts)));

  fw.command('verify')
    .description('Check a GB firmware image and its signature over the manufacturer image (exit 0 valid, 1 invalid, 2 unreadable)')
    .argument('<file>', 'firmware image')
    .requiredOption('--key <pem>', "the signer's public DS key: PEM certificate or public key")
    .action(guarded((io, file: string, opts: { key: string }) => verify(io, file, opts)));

  registerFwPolicyCommand(fw);
}
