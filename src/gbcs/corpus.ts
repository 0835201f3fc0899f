import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SharedSecretCache } from '../crypto/ecdh.ts';
import { KeyStore } from '../crypto/keystore.ts';
import { GbcsDecodeError } from './errors.ts';
import { decodeMessage, messageToJson, type DecodedMessage } from './message.ts';
import type { Json } from './payload/types.ts';
import { GbcsSecurity } from './security.ts';

export interface CorpusSummary {
  total: number;
  decoded: number;
  payloadDecoded: number;
  macValid: number;
  signatureValid: number;
  /** A MAC or signature was checked and is wrong. */
  invalid: number;
  /** A MAC or signature could not be checked for want of a key. */
  unverifiable: number;
}

export function emptySummary(): CorpusSummary {
  return { total: 0, decoded: 0, payloadDecoded: 0, macValid: 0, signatureValid: 0, invalid: 0, unverifiable: 0 };
}

export function addToSummary(s: CorpusSummary, m: DecodedMessage | undefined): void {
  s.total++;
  if (!m) return;
  s.decoded++;
  if (m.payload) s.payloadDecoded++;
  if (m.mac === 'valid') s.macValid++;
  if (m.signature === 'valid') s.signatureValid++;
  if (m.mac === 'invalid' || m.signature === 'invalid') s.invalid++;
  if (m.mac === 'unverifiable' || m.signature === 'unverifiable') s.unverifiable++;
}

function mergeSummaries(parts: CorpusSummary[]): CorpusSummary {
  const out = emptySummary();
  for (const p of parts) for (const k of Object.keys(out) as (keyof CorpusSummary)[]) out[k] += p[k];
  return out;
}

/** One message's outcome: its JSON view, or why its framing did not decode. */
export type CorpusEntry = { ok: true; json: Json } | { ok: false; error: string };

export interface CorpusOptions {
  keyFolders: readonly string[];
  acb?: string;
  /** Worker threads to spread the work over; 1 decodes in this thread. Default: the machine's parallelism. */
  workers?: number;
  /** Return each message's JSON view as well as the summary. */
  entries?: boolean;
  /** Disable the shared-secret cache (the benchmark's baseline). */
  noSecretCache?: boolean;
}

export interface CorpusResult {
  summary: CorpusSummary;
  entries?: CorpusEntry[];
}

/** Decodes and verifies messages in this thread. */
export function decodeCorpusHere(messages: readonly Uint8Array[], options: CorpusOptions, security?: GbcsSecurity): CorpusResult {
  const sec =
    security ??
    new GbcsSecurity(KeyStore.fromFolders(options.keyFolders), {
      ...(options.acb ? { acb: options.acb } : {}),
      ...(options.noSecretCache ? { cache: new SharedSecretCache(false) } : {}),
    });
  const summary = emptySummary();
  const entries: CorpusEntry[] | undefined = options.entries ? [] : undefined;
  for (const bytes of messages) {
    let m: DecodedMessage | undefined;
    try {
      m = decodeMessage(bytes, sec);
    } catch (e) {
      if (!(e instanceof GbcsDecodeError)) throw e;
      entries?.push({ ok: false, error: e.message });
    }
    addToSummary(summary, m);
    if (m && entries) entries.push({ ok: true, json: messageToJson(m) });
  }
  return entries ? { summary, entries } : { summary };
}

const WORKER_URL = new URL('./corpus-worker.mjs', import.meta.url);

/**
 * A pool of worker threads, each with its own key store and shared-secret cache, that decodes batches of
 * messages. Signature verification dominates the cost, so a corpus decodes about as many times faster as there
 * are cores.
 */
export class CorpusDecoderPool {
  private readonly workers: Worker[];

  constructor(private readonly options: CorpusOptions) {
    const n = Math.max(1, options.workers ?? availableParallelism());
    this.workers = Array.from({ length: n }, () => new Worker(WORKER_URL, { workerData: { ...options, workers: 1 } }));
  }

  get size(): number {
    return this.workers.length;
  }

  /** Splits the messages into one contiguous share per worker; entries come back in input order. */
  async decode(messages: readonly Uint8Array[]): Promise<CorpusResult> {
    const share = Math.ceil(messages.length / this.workers.length);
    const results = await Promise.all(
      this.workers.map((w, i) => this.run(w, messages.slice(i * share, (i + 1) * share))),
    );
    const summary = mergeSummaries(results.map((r) => r.summary));
    if (!this.options.entries) return { summary };
    return { summary, entries: results.flatMap((r) => r.entries ?? []) };
  }

  private run(worker: Worker, batch: readonly Uint8Array[]): Promise<CorpusResult> {
    return new Promise((resolve, reject) => {
      const onMessage = (r: CorpusResult | { error: string }) => {
        cleanup();
        if ('error' in r) reject(new Error(r.error));
        else resolve(r);
      };
      const onError = (e: Error) => {
        cleanup();
        reject(e);
      };
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.postMessage(batch);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Decodes a corpus, in worker threads when more than one is asked for (or available). */
export async function decodeCorpus(messages: readonly Uint8Array[], options: CorpusOptions): Promise<CorpusResult> {
  const workers = Math.min(options.workers ?? availableParallelism(), Math.max(1, Math.floor(messages.length / 64)));
  if (workers <= 1) return decodeCorpusHere(messages, options);
  const pool = new CorpusDecoderPool({ ...options, workers });
  try {
    return await pool.decode(messages);
  } finally {
    await pool.close();
  }
}
