/** File schemas for the catalogue and the estate. Every message says what was expected; parse.ts adds where and what was found. */
import { z } from 'zod';
import { DEVICE_TYPES, hex, VERSION_STATES } from './catalogue.ts';

/** A number, or a "0x…" string (JSON has no hex literals; YAML's 0x… arrives as a number already). */
function unsigned(bits: 16 | 32) {
  const max = 2 ** bits - 1;
  return z.unknown().transform((value, ctx) => {
    const n =
      typeof value === 'number' ? value : typeof value === 'string' && /^0x[0-9a-f]+$/i.test(value) ? Number.parseInt(value.slice(2), 16) : Number.NaN;
    if (Number.isInteger(n) && n >= 0 && n <= max) return n;
    ctx.addIssue({ code: 'custom', message: `expected a ${bits}-bit unsigned integer, 0 to ${hex(max, bits / 4)} (decimal, or 0x… hex)` });
    return z.NEVER;
  });
}

/** An object that refuses keys it does not know (a misspelt optional key would otherwise vanish silently). */
function record<S extends z.ZodRawShape>(shape: S) {
  const keys = Object.keys(shape).join(', ');
  return z.strictObject(shape, { error: (issue) => (issue.code === 'unrecognized_keys' ? `expected only the keys ${keys}` : undefined) });
}

const text = z.string().min(1);

/** Each item's `key` used once: the second use is the error, pointing back at the first. */
function uniqueBy<T>(items: T[], key: keyof T & string, list: string, ctx: z.RefinementCtx): void {
  const firstAt = new Map<unknown, number>();
  items.forEach((item, i) => {
    const first = firstAt.get(item[key]);
    if (first === undefined) firstAt.set(item[key], i);
    else ctx.addIssue({ code: 'custom', path: [list, i, key], message: `expected each ${key} once; also at ${list}[${first}]` });
  });
}

const hardwareRange = record({ min: unsigned(16), max: unsigned(16) }).refine((r) => r.min <= r.max, {
  path: ['max'],
  message: 'expected max to be at least min',
});

const firmwareVersion = record({
  fileVersion: unsigned(32),
  label: text,
  state: z.enum(VERSION_STATES),
  manufacturerImageHash: z.string().optional(),
});

const firmwareModel = record({
  model: text,
  deviceType: z.enum(DEVICE_TYPES),
  manufacturerCode: unsigned(16),
  imageType: unsigned(16),
  hardwareVersions: hardwareRange,
  versions: z.array(firmwareVersion).min(1),
  manufactured: unsigned(32).optional(),
}).superRefine((m, ctx) => {
  if (m.manufactured !== undefined && m.deviceType !== 'CHF') {
    ctx.addIssue({ code: 'custom', path: ['manufactured'], message: `expected no manufactured version: only Comms Hubs (CHF) have one, this is ${m.deviceType}` });
  }
});

const upgradeException = record({ model: text, from: unsigned(32), to: unsigned(32), reason: text, reference: text });

export const catalogueSchema = record({
  models: z.array(firmwareModel).min(1),
  exceptions: z.array(upgradeException).default([]),
}).superRefine((c, ctx) => uniqueBy(c.models, 'model', 'models', ctx));

const estateDevice = record({
  id: text,
  deviceType: z.enum(DEVICE_TYPES),
  model: text,
  manufacturerCode: unsigned(16),
  hardwareVersion: unsigned(16),
  currentVersion: unsigned(32),
  imageType: unsigned(16).optional(),
  trial: z.boolean().optional(),
  upgradeTo: unsigned(32).optional(),
});

export const estateSchema = record({ devices: z.array(estateDevice) }).superRefine((e, ctx) => uniqueBy(e.devices, 'id', 'devices', ctx));
