import type { Clock } from '../time/clock.ts';
import type { ErrorListener, FrameEvent, FrameListener, Unsubscribe } from './bus.ts';
import type { Envelope } from './envelope.ts';
import type { TransportError } from './errors.ts';

/** The frame and error listeners of one bus. A listener that throws is reported, never allowed to stop delivery. */
export class BusEvents {
  private readonly frameListeners = new Set<FrameListener>();
  private readonly errorListeners = new Set<ErrorListener>();

  constructor(private readonly clock: Clock) {}

  onFrame(listener: FrameListener): Unsubscribe {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  onError(listener: ErrorListener): Unsubscribe {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  frame(kind: FrameEvent['kind'], envelope: Envelope, local?: boolean): void {
    const event: FrameEvent = { kind, envelope, at: this.clock.now(), ...(local === undefined ? {} : { local }) };
    for (const listener of this.frameListeners) {
      try {
        listener(event);
      } catch (error) {
        warn('a frame listener threw', error);
      }
    }
  }

  error(error: TransportError): void {
    if (this.errorListeners.size === 0) {
      warn('unobserved transport error', error);
      return;
    }
    for (const listener of this.errorListeners) {
      try {
        listener(error);
      } catch (thrown) {
        warn('an error listener threw', thrown);
      }
    }
  }
}

function warn(what: string, error: unknown): void {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.emitWarning(`hanlab transport: ${what}: ${detail}`);
}
