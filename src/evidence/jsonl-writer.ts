import { closeSync, fsyncSync, openSync, writevSync } from 'node:fs';
import { canonicalJson } from './canonical-json.ts';
import type { RunEvent } from './events.ts';
import { GENESIS_HASH, recordHashOfCanonical } from './hash-chain.ts';
import type { Reporter } from './reporter.ts';

export interface JsonlEvidenceWriterOptions {
  /**
   * Write and fsync every record as it comes, so even a power cut keeps what was recorded. Off by default: records
   * are handed to the operating system in batches (see JsonlEvidenceWriter), which a crash of hanlab does not lose.
   */
  readonly fsync?: boolean;
}

/** Events after which what is buffered goes to the file at once: the ends of steps and scenarios, and the run's. */
const FLUSH_AFTER = new Set<RunEvent['type']>(['run-start', 'run-end', 'scenario-start', 'scenario-end', 'step-end']);
/** Most text held before it is written, and the longest time a record waits (a step on a real rig may take minutes). */
const MAX_BUFFERED_BYTES = 64 * 1024;
const RECORD_END = Buffer.from('}\n');
/** Buffers one writev takes at most (the system's IOV_MAX is 1024 on Linux). */
const MAX_IOV = 1024;
const MAX_WAIT_MS = 200;

/** Writers with records not yet written, flushed when the process exits for any reason Node still sees. */
const open = new Set<JsonlEvidenceWriter>();
let exitHook = false;

/**
 * Writes evidence.jsonl as the run happens: one hash-chained record per event. Refuses to overwrite an existing
 * file, so evidence is never silently replaced.
 *
 * Records reach the operating system at every step's and scenario's end, when 64 KiB are waiting, within 200 ms of
 * being recorded, and when the process exits, including on an uncaught error or process.exit (the run command
 * exits that way on SIGINT and SIGTERM). One system call per step rather than per frame keeps a simulated run
 * fast; what a kill -9 can take is the frames of the step in progress.
 */
export class JsonlEvidenceWriter implements Reporter {
  private fd: number | undefined;
  private seq = 0;
  private prev = GENESIS_HASH;
  /** Records not yet written, as UTF-8: the event's JSON is encoded once, for the hash and for the file. */
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly path: string,
    private readonly options: JsonlEvidenceWriterOptions = {},
  ) {
    this.fd = openSync(path, 'wx');
    open.add(this);
    if (!exitHook) {
      exitHook = true;
      process.on('exit', () => {
        for (const writer of open) writer.flush();
      });
    }
  }

  /** The last record written: its sequence number (0 before any) and hash, for a signed manifest. */
  get head(): { readonly seq: number; readonly hash: string } {
    return { seq: this.seq, hash: this.prev };
  }

  onEvent(event: RunEvent): void {
    if (this.fd === undefined) throw new Error(`evidence log ${this.path} is closed`);
    const seq = this.seq + 1;
    const json = Buffer.from(canonicalJson(event));
    const hash = recordHashOfCanonical(seq, this.prev, json);
    const head = Buffer.from(`{"seq":${seq},"prev":"${this.prev}","hash":"${hash}","event":`);
    this.buffered.push(head, json, RECORD_END);
    this.bufferedBytes += head.length + json.length + RECORD_END.length;
    this.seq = seq;
    this.prev = hash;
    if (this.options.fsync || FLUSH_AFTER.has(event.type) || this.bufferedBytes >= MAX_BUFFERED_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), MAX_WAIT_MS).unref();
  }

  /** Hands every buffered record to the operating system (and to the disk, with `fsync`). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.fd === undefined || this.buffered.length === 0) return;
    let chunks = this.buffered;
    this.buffered = [];
    this.bufferedBytes = 0;
    // writev may write less than asked (a signal, a full disk): what is left is written again from where it stopped.
    while (chunks.length > 0) {
      let written = writevSync(this.fd, chunks.slice(0, MAX_IOV));
      let i = 0;
      while (i < chunks.length && written >= chunks[i]!.length) written -= chunks[i++]!.length;
      chunks = chunks.slice(i);
      if (written > 0) chunks[0] = chunks[0]!.subarray(written);
    }
    if (this.options.fsync) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
    open.delete(this);
  }
}
