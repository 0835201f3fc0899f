/** A timer waiting in a `VirtualClock`. `seq` breaks ties so equal-time timers fire in the order they were set. */
export interface QueuedTimer {
  readonly dueAt: number;
  readonly seq: number;
  readonly fire: () => void;
  /** Fired or cancelled: either way it must not fire (again). */
  done: boolean;
}

function firesBefore(a: QueuedTimer, b: QueuedTimer): boolean {
  return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq);
}

/**
 * Binary min-heap ordered by (dueAt, seq). Cancelled timers stay in the heap and are skipped when they
 * surface, which keeps cancellation O(1).
 */
export class TimerQueue {
  private readonly heap: QueuedTimer[] = [];
  private live = 0;

  get size(): number {
    return this.live;
  }

  push(timer: QueuedTimer): void {
    this.heap.push(timer);
    this.live++;
    this.siftUp(this.heap.length - 1);
  }

  cancel(timer: QueuedTimer): void {
    if (timer.done) return;
    timer.done = true;
    this.live--;
  }

  peek(): QueuedTimer | undefined {
    this.dropDoneHead();
    return this.heap[0];
  }

  pop(): QueuedTimer | undefined {
    this.dropDoneHead();
    const head = this.heap[0];
    if (head === undefined) return undefined;
    this.removeHead();
    this.live--;
    head.done = true;
    return head;
  }

  private dropDoneHead(): void {
    while (this.heap[0]?.done) this.removeHead();
  }

  private removeHead(): void {
    const last = this.heap.pop();
    if (last === undefined || this.heap.length === 0) return;
    this.heap[0] = last;
    this.siftDown(0);
  }

  private siftUp(index: number): void {
    let at = index;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!firesBefore(this.at(at), this.at(parent))) return;
      this.swap(at, parent);
      at = parent;
    }
  }

  private siftDown(index: number): void {
    let at = index;
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let first = at;
      if (left < this.heap.length && firesBefore(this.at(left), this.at(first))) first = left;
      if (right < this.heap.length && firesBefore(this.at(right), this.at(first))) first = right;
      if (first === at) return;
      this.swap(at, first);
      at = first;
    }
  }

  private at(index: number): QueuedTimer {
    const timer = this.heap[index];
    if (timer === undefined) throw new Error(`timer heap index ${index} out of range`);
    return timer;
  }

  private swap(a: number, b: number): void {
    const timerA = this.at(a);
    this.heap[a] = this.at(b);
    this.heap[b] = timerA;
  }
}
