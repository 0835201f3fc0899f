import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { GENESIS_HASH, recordHash } from './hash-chain.ts';

export type ChainVerdict =
  | {
      readonly ok: true;
      readonly records: number;
      /** The last record's hash. */
      readonly head: string;
      /** The log ends with run-end; false after a crash (what was written is still intact). */
      readonly complete: boolean;
    }
  | {
      readonly ok: false;
      /** Records before the break, all intact. */
      readonly records: number;
      /** 1-based line of the first broken record. */
      readonly line: number;
      readonly seq?: number;
      readonly reason: string;
    };

const HASH = /^[0-9a-f]{64}$/;

interface Parsed {
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
  readonly event: { readonly type?: unknown };
}

function parseRecord(text: string): Parsed | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON (a torn or edited line)';
  }
  const record = value as Partial<Parsed>;
  if (typeof record !== 'object' || record === null) return 'not a record';
  if (!Number.isInteger(record.seq)) return 'no sequence number';
  if (typeof record.prev !== 'string' || !HASH.test(record.prev) || typeof record.hash !== 'string' || !HASH.test(record.hash)) return 'no prev/hash pair';
  if (typeof record.event !== 'object' || record.event === null) return 'no event';
  return record as Parsed;
}

/**
 * Reads an evidence log and checks every link of its hash chain. Reports the first record that was
 * changed, removed, inserted or moved. (Removing the last records cannot be told from a crash, which
 * `complete` shows; a signed manifest of the head hash closes that gap.)
 */
export async function verifyEvidenceChain(file: string): Promise<ChainVerdict> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let records = 0;
  let prev = GENESIS_HASH;
  let lastType: unknown;
  let lineNumber = 0;
  for await (const text of lines) {
    lineNumber++;
    if (text === '') return { ok: false, records, line: lineNumber, reason: 'empty line inside the log' };
    const record = parseRecord(text);
    if (typeof record === 'string') return { ok: false, records, line: lineNumber, reason: `line ${lineNumber} is ${record}` };
    const expected = records + 1;
    const broken = (reason: string): ChainVerdict => ({ ok: false, records, line: lineNumber, seq: record.seq, reason });
    if (record.seq !== expected) {
      return broken(`expected record ${expected} but found record ${record.seq}: records were removed, inserted or reordered`);
    }
    if (record.prev !== prev) {
      return broken(`record ${record.seq} does not follow record ${records === 0 ? 'none (the start)' : records}: its prev is not that record's hash`);
    }
    if (recordHash(record.seq, record.prev, record.event) !== record.hash) {
      return broken(`record ${record.seq} was modified: its content does not match its hash`);
    }
    records = record.seq;
    prev = record.hash;
    lastType = record.event.type;
  }
  return { ok: true, records, head: prev, complete: lastType === 'run-end' };
}
