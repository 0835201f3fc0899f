/**
 * One spelling of a JSON value: keys sorted, bigints as decimal text, bytes as hex, undefined left out. The
 * evidence chain hashes this spelling, so a record hashes the same after being read back.
 */
export function toJsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex').toUpperCase();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Map) return toJsonSafe(Object.fromEntries(value));
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : toJsonSafe(item)));
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'object' && value !== null) {
    const result: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) if (field !== undefined && typeof field !== 'function') result[key] = toJsonSafe(field);
    return result;
  }
  return value;
}

export function canonicalJson(value: unknown): string {
  return stringifySorted(toJsonSafe(value));
}

function stringifySorted(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stringifySorted).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stringifySorted((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
