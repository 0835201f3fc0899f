export { type Clock, type SleepOptions, type TimerHandle } from './clock.ts';
export { VirtualClock, ClockError, TimerLoopError, DEFAULT_VIRTUAL_START, DEFAULT_EVENT_LIMIT, type VirtualClockOptions, type RunOptions } from './virtual-clock.ts';
export { RealClock } from './real-clock.ts';
export { withTimeout, TimeoutError } from './timeout.ts';
export { Random } from './random.ts';
