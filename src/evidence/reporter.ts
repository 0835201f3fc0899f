import type { RunEvent } from './events.ts';

/** Anything that turns the event stream into a record: the evidence log, JUnit, the console. */
export interface Reporter {
  /** Called once per event, in order. Synchronous, so every reporter sees the same order. */
  onEvent(event: RunEvent): void;
  /** Finishes the record (writes the file, stops the progress bar). Called once, after the last event. */
  close?(): void | Promise<void>;
}

/** Fans each event out to every reporter; one reporter failing does not keep the event from the others. */
export class EventStream {
  private closed = false;

  constructor(private readonly reporters: readonly Reporter[]) {}

  emit(event: RunEvent): void {
    if (this.closed) throw new Error(`event ${event.type} emitted after the stream closed`);
    const failures: unknown[] = [];
    for (const reporter of this.reporters) {
      try {
        reporter.onEvent(event);
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, `${failures.length} reporter(s) failed on a ${event.type} event`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const results = await Promise.allSettled(this.reporters.map(async (reporter) => reporter.close?.()));
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    if (failures.length > 0) throw new AggregateError(failures, `${failures.length} reporter(s) failed to close`);
  }
}
