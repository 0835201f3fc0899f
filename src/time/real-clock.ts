import { checkedDelay, sleepOn, type Clock, type SleepOptions, type TimerHandle } from './clock.ts';

/** setTimeout fires at once for delays above this (with a warning), so longer timers are chained. */
const MAX_NODE_DELAY_MS = 2 ** 31 - 1;

interface RealTimer extends TimerHandle {
  timeout: NodeJS.Timeout | undefined;
}

/** Wall-clock time, for real rigs. */
export class RealClock implements Clock {
  private readonly ownTimers = new WeakSet<TimerHandle>();

  now(): number {
    return Date.now();
  }

  date(): Date {
    return new Date();
  }

  setTimer(delayMs: number, fire: () => void): TimerHandle {
    const timer: RealTimer = { dueAt: Date.now() + checkedDelay(delayMs), timeout: undefined };
    const arm = (): void => {
      const remaining = timer.dueAt - Date.now();
      if (remaining > MAX_NODE_DELAY_MS) {
        timer.timeout = setTimeout(arm, MAX_NODE_DELAY_MS);
      } else {
        timer.timeout = setTimeout(() => {
          timer.timeout = undefined;
          fire();
        }, Math.max(0, remaining));
      }
    };
    arm();
    this.ownTimers.add(timer);
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    if (!this.ownTimers.has(handle)) return;
    const timer = handle as RealTimer;
    if (timer.timeout !== undefined) clearTimeout(timer.timeout);
    timer.timeout = undefined;
  }

  sleep(delayMs: number, options?: SleepOptions): Promise<void> {
    return sleepOn(this, delayMs, options);
  }
}
