import { checkedDelay, sleepOn, type Clock, type SleepOptions, type TimerHandle } from './clock.ts';
import { TimerQueue, type QueuedTimer } from './timer-queue.ts';

/** 2025-01-01T00:00:00Z: a fixed default so two runs that do not choose a start still agree. */
export const DEFAULT_VIRTUAL_START = Date.UTC(2025, 0, 1);

/** Most timers one advance may fire before it is taken for a timer loop. */
export const DEFAULT_EVENT_LIMIT = 100_000;

export class ClockError extends Error {
  override readonly name: string = 'ClockError';
}

/** A run of timers kept scheduling more timers past the event limit: almost always a timer loop. */
export class TimerLoopError extends ClockError {
  override readonly name = 'TimerLoopError';
  constructor(
    readonly fired: number,
    readonly at: number,
  ) {
    super(`fired ${fired} timers without going idle (virtual time ${new Date(at).toISOString()}); is a timer rescheduling itself?`);
  }
}

export interface VirtualClockOptions {
  /** Start time, ms since the epoch or a Date. */
  readonly start?: number | Date;
}

export interface RunOptions {
  /** Fail with TimerLoopError after firing this many timers in one call. */
  readonly limit?: number;
}

/** Lets every pending microtask (promise continuations, nextTick) run: they all run before setImmediate's phase. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Time that moves only when told to. Timers fire in (due time, order set) order, one at a time, and
 * after each one the clock lets all pending microtasks run before looking for the next timer. So async
 * device code such as `for (;;) { await clock.sleep(10); send(); }` resumes, does its work and sets its
 * next timer before the clock decides what fires next: the interleaving of several devices depends only
 * on their timers, never on how long the host took. The one rule for code under a VirtualClock: wait
 * only on this clock and on other simulated code, never on real I/O, which would not finish in time.
 *
 * `advance`, `advanceTo`, `runNext` and `runUntilIdle` are async for that reason and must not overlap.
 * If a timer callback throws, the call rejects with that error, the clock stays at that timer's time and
 * later timers stay queued.
 */
export class VirtualClock implements Clock {
  private current: number;
  private nextSeq = 0;
  private readonly queue = new TimerQueue();
  private readonly ownTimers = new WeakSet<TimerHandle>();
  private running = false;

  constructor(options: VirtualClockOptions = {}) {
    const start = options.start ?? DEFAULT_VIRTUAL_START;
    this.current = start instanceof Date ? start.getTime() : start;
    if (!Number.isFinite(this.current)) throw new RangeError(`virtual clock start must be a finite time, got ${String(start)}`);
  }

  now(): number {
    return this.current;
  }

  date(): Date {
    return new Date(this.current);
  }

  setTimer(delayMs: number, fire: () => void): TimerHandle {
    const timer: QueuedTimer = { dueAt: this.current + checkedDelay(delayMs), seq: this.nextSeq++, fire, done: false };
    this.queue.push(timer);
    this.ownTimers.add(timer);
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    if (this.ownTimers.has(handle)) this.queue.cancel(handle as QueuedTimer);
  }

  sleep(delayMs: number, options?: SleepOptions): Promise<void> {
    return sleepOn(this, delayMs, options);
  }

  /** Timers set and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.queue.size;
  }

  /** When the next timer is due, or undefined when idle. */
  nextTimerAt(): number | undefined {
    return this.queue.peek()?.dueAt;
  }

  /** Moves time forward by `ms`, firing every timer due on the way (including ones set meanwhile). Returns how many fired. */
  advance(ms: number, options?: RunOptions): Promise<number> {
    if (!Number.isFinite(ms) || ms < 0) return Promise.reject(new RangeError(`advance needs a finite, non-negative ms, got ${ms}`));
    return this.advanceTo(this.current + ms, options);
  }

  /** Moves time forward to `target` (ms since the epoch), firing every timer due up to and including it. */
  advanceTo(target: number, options: RunOptions = {}): Promise<number> {
    if (!Number.isFinite(target) || target < this.current) {
      return Promise.reject(new RangeError(`cannot move a virtual clock from ${this.current} back or to ${target}`));
    }
    const limit = options.limit ?? DEFAULT_EVENT_LIMIT;
    return this.exclusively(async () => {
      let fired = 0;
      for (;;) {
        await settle();
        const next = this.queue.peek();
        if (next === undefined || next.dueAt > target) break;
        if (fired >= limit) throw new TimerLoopError(fired, this.current);
        this.fireNext();
        fired++;
      }
      this.current = target;
      return fired;
    });
  }

  /** Jumps to the next timer and fires it alone. Resolves false if there was none. */
  runNext(): Promise<boolean> {
    return this.exclusively(async () => {
      await settle();
      if (!this.fireNext()) return false;
      await settle();
      return true;
    });
  }

  /**
   * Jumps to the next timer and fires it, now, without letting pending microtasks run before or after: for a driver
   * that lets them run itself (driveUntilSettled awaits a turn of the event loop between timers). False if idle.
   */
  fireNextTimer(): boolean {
    if (this.running) throw new ClockError('the virtual clock is already advancing: await the previous call first');
    return this.fireNext();
  }

  /** Fires timers one by one until none are left. Resolves with how many fired. */
  runUntilIdle(options: RunOptions = {}): Promise<number> {
    const limit = options.limit ?? DEFAULT_EVENT_LIMIT;
    return this.exclusively(async () => {
      let fired = 0;
      for (;;) {
        await settle();
        if (this.queue.peek() === undefined) return fired;
        if (fired >= limit) throw new TimerLoopError(fired, this.current);
        this.fireNext();
        fired++;
      }
    });
  }

  private fireNext(): boolean {
    const timer = this.queue.pop();
    if (timer === undefined) return false;
    this.current = timer.dueAt;
    timer.fire();
    return true;
  }

  private async exclusively<T>(run: () => Promise<T>): Promise<T> {
    if (this.running) throw new ClockError('the virtual clock is already advancing: await the previous call first');
    this.running = true;
    try {
      return await run();
    } finally {
      this.running = false;
    }
  }
}
