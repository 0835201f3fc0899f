import { toHex } from '../bytes.ts';

/**
 * One spelling of a JSON value: keys sorted, bigints as decimal text, bytes as upper-case hex, dates as ISO text,
 * maps as objects, undefined and functions left out of objects (null in arrays), non-finite numbers as null. The
 * evidence chain hashes this spelling, so a record hashes the same after being read back.
 */
export function canonicalJson(value: unknown): string {
  return spell(value) ?? 'null';
}

/** Keys recur in every event (type, wallTime, decoded…): their quoted text is kept rather than made each time. */
const quotedKeys = new Map<string, string>();
const MAX_QUOTED_KEYS = 4096;

function quote(key: string): string {
  let text = quotedKeys.get(key);
  if (text === undefined) {
    text = JSON.stringify(key);
    if (quotedKeys.size < MAX_QUOTED_KEYS) quotedKeys.set(key, text);
  }
  return text;
}

/** The canonical text of a value, or undefined for what an object leaves out (undefined, functions). */
function spell(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // For a finite number String() and JSON.stringify() agree.
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `"${value.toString()}"`;
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return spellArray(value);
      if (value instanceof Uint8Array) return `"${toHex(value).toUpperCase()}"`;
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      if (value instanceof Map) return spellObject(Object.fromEntries(value) as Record<string, unknown>);
      return spellObject(value as Record<string, unknown>);
    default:
      return undefined;
  }
}

function spellArray(items: readonly unknown[]): string {
  if (items.length === 0) return '[]';
  let out = `[${spell(items[0]) ?? 'null'}`;
  for (let i = 1; i < items.length; i++) out += `,${spell(items[i]) ?? 'null'}`;
  return `${out}]`;
}

/**
 * Sorts in code-unit order as Array.prototype.sort() does, without its working copy: an event spells hundreds of
 * small objects, and that copy was the biggest share of what spelling allocated. Keys already in order cost one pass.
 */
function sortedInPlace(keys: string[]): string[] {
  if (keys.length > 32) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

function spellObject(fields: Record<string, unknown>): string {
  const keys = sortedInPlace(Object.keys(fields));
  let out = '{';
  for (const key of keys) {
    const text = spell(fields[key]);
    if (text === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${quote(key)}:${text}`;
  }
  return `${out}}`;
}
