import { MultiBar, type SingleBar } from 'cli-progress';
import type { RunEvent, ScenarioEndEvent } from './events.ts';
import type { Outcome } from './outcome.ts';
import type { Reporter } from './reporter.ts';
import { ResultsCollector } from './results.ts';
import { formatSummaryTable, OUTCOME_WORDS } from './summary-table.ts';

export interface ConsoleReporterOptions {
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Force the live progress bar on or off; by default it is on when the stream is a terminal. */
  readonly tty?: boolean;
}

/**
 * Prints the run for people. On CI (or any non-terminal) it writes plain lines, one per finished scenario,
 * with the failing step for those that did not pass; on a terminal, a live progress bar with failures
 * printed above it. Either way it ends with the summary table.
 */
export class ConsoleReporter implements Reporter {
  private readonly stream: NonNullable<ConsoleReporterOptions['stream']>;
  private readonly live: boolean;
  private readonly collector = new ResultsCollector();
  private bars: MultiBar | undefined;
  private bar: SingleBar | undefined;
  private readonly tally: Record<Outcome, number> = { pass: 0, fail: 0, error: 0, skipped: 0 };
  private finished = 0;
  private summaryPrinted = false;

  constructor(options: ConsoleReporterOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    this.live = options.tty ?? this.stream.isTTY === true;
  }

  onEvent(event: RunEvent): void {
    this.collector.onEvent(event);
    switch (event.type) {
      case 'run-start': {
        const sets = event.sets && event.sets.length > 0 ? ` across ${event.sets.length} configuration set(s)` : '';
        this.print(`hanlab run ${event.runId}: ${event.planned} scenario run(s)${sets}${event.rig ? ` on rig ${event.rig}` : ''}`);
        if (this.live) this.startBar(event.planned);
        return;
      }
      case 'scenario-start':
        this.bar?.update(this.finished, { current: this.label(event.setId, event.scenarioId) });
        return;
      case 'scenario-end':
        this.scenarioEnded(event);
        return;
      case 'run-end':
        this.printSummary();
        return;
      default:
        return;
    }
  }

  close(): void {
    this.printSummary();
  }

  private label(setId: string | undefined, scenarioId: string): string {
    return setId ? `${setId} > ${scenarioId}` : scenarioId;
  }

  private scenarioEnded(event: ScenarioEndEvent): void {
    const result = this.collector.scenario(event.setId, event.scenarioId);
    if (result === undefined) return;
    this.finished++;
    this.tally[result.outcome]++;
    const line = `${OUTCOME_WORDS[result.outcome].padEnd(5)} ${this.label(event.setId, event.scenarioId)} (${(result.durationMs / 1000).toFixed(1)}s)`;
    const why = result.outcome === 'pass' || result.outcome === 'skipped' ? [] : [`      ${result.decidingStep ? `step ${result.decidingStep}: ` : ''}${result.reason ?? ''}`];
    if (this.live && this.bar !== undefined) {
      this.bar.update(this.finished, { ...this.tally, current: '' });
      if (why.length > 0) {
        this.bars?.log(`${[line, ...why].join('\n')}\n`);
        // cli-progress only prints logged lines on its next redraw, and stop() does not redraw: do it now.
        this.bars?.update();
      }
    } else {
      for (const text of [line, ...why]) this.print(text);
    }
  }

  private startBar(planned: number): void {
    this.bars = new MultiBar({
      stream: this.stream as NodeJS.WritableStream,
      format: '{bar} {value}/{total} | {pass} pass {fail} fail {error} error | {current}',
      hideCursor: true,
      clearOnComplete: false,
      gracefulExit: false,
    });
    this.bar = this.bars.create(Math.max(planned, 1), 0, { ...this.tally, current: '' });
  }

  private printSummary(): void {
    if (this.summaryPrinted) return;
    this.summaryPrinted = true;
    this.bars?.stop();
    this.bars = undefined;
    this.bar = undefined;
    this.print('');
    this.print(formatSummaryTable(this.collector.results()));
  }

  private print(text: string): void {
    this.stream.write(`${text}\n`);
  }
}
