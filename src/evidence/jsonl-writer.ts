import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { canonicalJson } from './canonical-json.ts';
import type { RunEvent } from './events.ts';
import { GENESIS_HASH, recordHashOfCanonical } from './hash-chain.ts';
import type { Reporter } from './reporter.ts';

export interface JsonlEvidenceWriterOptions {
  /**
   * fsync after every record, so even a power cut keeps what was written. Off by default: each record is
   * still handed to the operating system before onEvent returns, so a crash of hanlab itself loses nothing.
   */
  readonly fsync?: boolean;
}

/**
 * Writes evidence.jsonl as the run happens: one hash-chained record per event, written before onEvent
 * returns. Refuses to overwrite an existing file, so evidence is never silently replaced.
 */
export class JsonlEvidenceWriter implements Reporter {
  private fd: number | undefined;
  private seq = 0;
  private prev = GENESIS_HASH;

  constructor(
    readonly path: string,
    private readonly options: JsonlEvidenceWriterOptions = {},
  ) {
    this.fd = openSync(path, 'wx');
  }

  /** The last record written: its sequence number (0 before any) and hash, for a signed manifest. */
  get head(): { readonly seq: number; readonly hash: string } {
    return { seq: this.seq, hash: this.prev };
  }

  onEvent(event: RunEvent): void {
    if (this.fd === undefined) throw new Error(`evidence log ${this.path} is closed`);
    const seq = this.seq + 1;
    const json = canonicalJson(event);
    const hash = recordHashOfCanonical(seq, this.prev, json);
    const line = `{"seq":${seq},"prev":"${this.prev}","hash":"${hash}","event":${json}}\n`;
    writeSync(this.fd, line);
    if (this.options.fsync) fsyncSync(this.fd);
    this.seq = seq;
    this.prev = hash;
  }

  close(): void {
    if (this.fd === undefined) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }
}
