import type { Clock } from './clock.ts';

/** A wait ran out of clock time. `what` names what was awaited, for the person reading the report. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(
    readonly what: string,
    readonly waitedMs: number,
  ) {
    super(`timed out after ${waitedMs} ms waiting for ${what}`);
  }
}

/**
 * Settles like `promise`, or rejects once `ms` of clock time has passed: with `onTimeout()` if given,
 * else with a TimeoutError naming `what`. The timer is cleared as soon as `promise` settles.
 */
export function withTimeout<T>(
  clock: Clock,
  promise: Promise<T>,
  ms: number,
  what: string,
  onTimeout: () => Error = () => new TimeoutError(what, ms),
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimer(ms, () => reject(onTimeout()));
    promise.then(
      (value) => {
        clock.clearTimer(timer);
        resolve(value);
      },
      (error: unknown) => {
        clock.clearTimer(timer);
        reject(error);
      },
    );
  });
}
