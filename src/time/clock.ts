/**
 * Time as every part of hanlab sees it. Simulated devices get a `VirtualClock`, real rigs a `RealClock`;
 * code that only takes a `Clock` cannot tell which, and so runs the same in both.
 */

/** A scheduled timer. `dueAt` is the clock time (ms since the epoch) at which it fires. */
export interface TimerHandle {
  readonly dueAt: number;
}

export interface SleepOptions {
  /** Aborting rejects the sleep with the signal's reason and cancels its timer. */
  readonly signal?: AbortSignal;
}

export interface Clock {
  /** Milliseconds since the Unix epoch, in this clock's time. */
  now(): number;
  /** The same instant as `now()`, as a Date. */
  date(): Date;
  /** Calls `fire` once `delayMs` of this clock's time has passed. Negative delays count as 0. */
  setTimer(delayMs: number, fire: () => void): TimerHandle;
  /** Cancels a timer; harmless if it has fired already or was never this clock's. */
  clearTimer(handle: TimerHandle): void;
  /** Resolves once `delayMs` of this clock's time has passed. */
  sleep(delayMs: number, options?: SleepOptions): Promise<void>;
}

/** Rejects delays that would mean "never" or "whenever": every wait in hanlab is finite. */
export function checkedDelay(delayMs: number): number {
  if (!Number.isFinite(delayMs)) throw new RangeError(`timer delay must be a finite number of ms, got ${delayMs}`);
  return Math.max(0, delayMs);
}

/** `sleep` written once over `setTimer`/`clearTimer`, so both clocks treat abort the same way. */
export function sleepOn(clock: Clock, delayMs: number, options: SleepOptions = {}): Promise<void> {
  const { signal } = options;
  checkedDelay(delayMs);
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimer(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimer(delayMs, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
