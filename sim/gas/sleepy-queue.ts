/**
 * Commands the GPF holds for a sleepy GSME until it polls, oldest first. A command not collected within the
 * timeout is dropped (the DCC's own wait will have ended by then); a full queue takes no more.
 */

export interface QueuedCommand {
  bytes: Uint8Array;
  messageCode: number;
  counter: bigint;
  /** Clock time it was queued. */
  queuedAt: number;
}

export class SleepyQueue {
  private readonly items: QueuedCommand[] = [];

  constructor(
    readonly capacity: number,
    readonly timeoutMs: number,
  ) {}

  get length(): number {
    return this.items.length;
  }

  push(command: QueuedCommand): boolean {
    if (this.items.length >= this.capacity) return false;
    this.items.push(command);
    return true;
  }

  /** The oldest command still in time, how many remain after it, and those that expired on the way. */
  take(now: number): { command?: QueuedCommand; remaining: number; expired: QueuedCommand[] } {
    const expired: QueuedCommand[] = [];
    while (this.items.length > 0 && now - this.items[0]!.queuedAt > this.timeoutMs) expired.push(this.items.shift()!);
    const command = this.items.shift();
    return command ? { command, remaining: this.items.length, expired } : { remaining: 0, expired };
  }
}
