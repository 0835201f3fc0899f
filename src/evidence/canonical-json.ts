/**
 * One spelling of a JSON value: keys sorted, bigints as decimal text, bytes as upper-case hex, dates as ISO text,
 * maps as objects, undefined and functions left out of objects (null in arrays), non-finite numbers as null. The
 * evidence chain hashes this spelling, so a record hashes the same after being read back.
 */
export function canonicalJson(value: unknown): string {
  return spell(value) ?? 'null';
}

/** The canonical text of a value, or undefined for what an object leaves out (undefined, functions). */
function spell(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `"${value.toString()}"`;
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return spellArray(value);
      if (value instanceof Uint8Array) return `"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex').toUpperCase()}"`;
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      if (value instanceof Map) return spellObject(Object.fromEntries(value) as Record<string, unknown>);
      return spellObject(value as Record<string, unknown>);
    default:
      return undefined;
  }
}

function spellArray(items: readonly unknown[]): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) out += `${i === 0 ? '' : ','}${spell(items[i]) ?? 'null'}`;
  return `${out}]`;
}

function spellObject(fields: Record<string, unknown>): string {
  let out = '{';
  let first = true;
  for (const key of Object.keys(fields).sort()) {
    const text = spell(fields[key]);
    if (text === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${text}`;
    first = false;
  }
  return `${out}}`;
}
