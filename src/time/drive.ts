import type { VirtualClock } from './virtual-clock.ts';

export class StalledError extends Error {
  override readonly name = 'StalledError';
}

export interface DriveOptions {
  /** True when no real I/O is in flight (e.g. no MQTT frame sent and not yet delivered). Default: always quiet. */
  isQuiet?: () => boolean;
  /** Longest real time to wait for I/O to go quiet before advancing virtual time anyway. Default 5000 ms. */
  ioPatienceMs?: number;
  /** Most virtual time to advance before giving up. */
  maxVirtualMs?: number;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const realPause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs simulated time forward until `work` settles: after every timer, pending promise continuations run;
 * virtual time only moves on when nothing else can happen (and real I/O, if any, has gone quiet), so a
 * response that is on its way is never overtaken by a timeout. Rejects with StalledError when the work is
 * still pending but nothing is scheduled: a deadlock, reported rather than hung on.
 */
export async function driveUntilSettled<T>(clock: VirtualClock, work: Promise<T>, options: DriveOptions = {}): Promise<T> {
  let settled = false;
  const watched = work.then(
    (v) => {
      settled = true;
      return v;
    },
    (e: unknown) => {
      settled = true;
      throw e;
    },
  );
  watched.catch(() => undefined);
  const isQuiet = options.isQuiet ?? (() => true);
  const patience = options.ioPatienceMs ?? 5000;
  const limit = options.maxVirtualMs === undefined ? Infinity : clock.now() + options.maxVirtualMs;
  for (;;) {
    await turn();
    if (settled) return watched;
    let waited = 0;
    while (!isQuiet() && waited < patience && !settled) {
      await realPause(1);
      await turn();
      waited++;
    }
    if (settled) return watched;
    const next = clock.nextTimerAt();
    if (next === undefined) {
      if (!isQuiet()) continue;
      throw new StalledError('the simulation is waiting on something that nothing is scheduled to do');
    }
    if (next > limit) throw new StalledError(`nothing settled within ${options.maxVirtualMs} ms of virtual time`);
    // The turn at the top of the loop lets what this timer set off run before anything else is decided.
    clock.fireNextTimer();
  }
}
