/**
 * Shows OTA progress events to a person: a cli-progress bar on a terminal, plain lines anywhere else (CI logs,
 * files), one per `lineStepPercent` crossed so that a log stays short. Rate and ETA come from the events, so they
 * are in the transfer's clock time: modelled time under a VirtualClock, real time on a rig.
 */
import cliProgress from 'cli-progress';
import type { TransferProgress } from './progress.ts';

export interface ProgressOutput extends NodeJS.WritableStream {
  isTTY?: boolean;
}

export interface ProgressReporterOptions {
  /** Default process.stderr. */
  stream?: ProgressOutput;
  /** Printed before the bar or line, e.g. the device name. */
  label?: string;
  /** Plain output: a line each time progress crosses a multiple of this. Default 10. */
  lineStepPercent?: number;
}

export interface ProgressReporter {
  update(progress: TransferProgress): void;
  /** Ends the bar (or prints the last line) and adds `message` if given. */
  finish(message?: string): void;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number | undefined): string {
  return bytesPerSecond === undefined ? '-- B/s' : `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

export function formatEta(ms: number | undefined): string {
  if (ms === undefined) return '--';
  const seconds = Math.ceil(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/** One plain line: `esme-1 50.0% 128.0 KiB/256.0 KiB 6.0 KiB/s ETA 21s`. */
export function formatProgressLine(progress: TransferProgress, label = ''): string {
  const parts = [
    `${progress.percent.toFixed(1)}%`,
    `${formatBytes(progress.bytes)}/${formatBytes(progress.total)}`,
    formatRate(progress.rateBytesPerSecond),
    `ETA ${formatEta(progress.etaMs)}`,
  ];
  return (label === '' ? '' : `${label} `) + parts.join(' ');
}

function barTokens(progress: TransferProgress): Record<string, string> {
  return {
    bytesText: `${formatBytes(progress.bytes)}/${formatBytes(progress.total)}`,
    rateText: formatRate(progress.rateBytesPerSecond),
    etaText: formatEta(progress.etaMs),
  };
}

class BarReporter implements ProgressReporter {
  private readonly bar: cliProgress.SingleBar;
  private started = false;

  constructor(
    private readonly stream: ProgressOutput,
    label: string,
  ) {
    const prefix = label === '' ? '' : `${label} `;
    this.bar = new cliProgress.SingleBar(
      { stream, format: `${prefix}[{bar}] {percentage}% | {bytesText} | {rateText} | ETA {etaText}`, hideCursor: false, gracefulExit: false },
      cliProgress.Presets.shades_classic,
    );
  }

  update(progress: TransferProgress): void {
    if (!this.started) {
      this.started = true;
      this.bar.start(progress.total, progress.bytes, barTokens(progress));
      return;
    }
    this.bar.update(progress.bytes, barTokens(progress));
  }

  finish(message?: string): void {
    if (this.started) this.bar.stop();
    this.started = false;
    if (message !== undefined) this.stream.write(`${message}\n`);
  }
}

class LineReporter implements ProgressReporter {
  private lastStep = -1;
  private last: TransferProgress | undefined;
  private lastPrinted: TransferProgress | undefined;

  constructor(
    private readonly stream: ProgressOutput,
    private readonly label: string,
    private readonly stepPercent: number,
  ) {}

  update(progress: TransferProgress): void {
    this.last = progress;
    const step = Math.floor(progress.percent / this.stepPercent);
    if (step === this.lastStep) return;
    this.lastStep = step;
    this.print(progress);
  }

  finish(message?: string): void {
    if (this.last !== undefined && this.last !== this.lastPrinted) this.print(this.last);
    if (message !== undefined) this.stream.write(`${this.label === '' ? '' : `${this.label} `}${message}\n`);
    this.lastStep = -1;
    this.last = undefined;
  }

  private print(progress: TransferProgress): void {
    this.lastPrinted = progress;
    this.stream.write(`${formatProgressLine(progress, this.label)}\n`);
  }
}

export function createProgressReporter(options: ProgressReporterOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const label = options.label ?? '';
  const step = options.lineStepPercent ?? 10;
  if (!(step > 0 && step <= 100)) throw new RangeError(`lineStepPercent must be in (0, 100], got ${step}`);
  return stream.isTTY === true ? new BarReporter(stream, label) : new LineReporter(stream, label, step);
}
