import type { Random } from '../../src/time/random.ts';

export type FaultDirection = 'in' | 'out' | 'both';

/** What can go wrong with a device's frames. Rates are probabilities per frame (1 = every frame). */
export interface FaultSettings {
  drop?: { rate: number; direction?: FaultDirection };
  delay?: { ms: number; rate?: number; direction?: FaultDirection };
  corrupt?: { rate: number; direction?: FaultDirection };
  duplicate?: { rate: number; direction?: FaultDirection };
  /** Device clock runs ahead (+) or behind (−) by this many ms. */
  clockDriftMs?: number;
}

export type FaultKind = keyof FaultSettings;

/** The verdict for one frame passing a device's fault switches. */
export interface FaultVerdict {
  deliver: boolean;
  delayMs: number;
  copies: number;
  payload: Uint8Array;
}

const applies = (d: FaultDirection | undefined, dir: 'in' | 'out') => d === undefined || d === 'both' || d === dir;

/**
 * Fault switches on a simulated device, drawn from the device's own random stream so a seeded run fails
 * the same way every time.
 */
export class FaultSwitches {
  private settings: FaultSettings = {};
  private stream: Random | undefined;

  /** The random stream is forked only once a fault needs it: a device with no faults carries none. */
  constructor(private readonly fork: () => Random) {}

  private get random(): Random {
    return (this.stream ??= this.fork());
  }

  set(settings: FaultSettings): void {
    this.settings = { ...this.settings, ...settings };
  }

  clear(kind?: FaultKind): void {
    if (kind) delete this.settings[kind];
    else this.settings = {};
  }

  get active(): Readonly<FaultSettings> {
    return this.settings;
  }

  get clockDriftMs(): number {
    return this.settings.clockDriftMs ?? 0;
  }

  judge(direction: 'in' | 'out', payload: Uint8Array): FaultVerdict {
    const s = this.settings;
    const verdict: FaultVerdict = { deliver: true, delayMs: 0, copies: 1, payload };
    if (!s.drop && !s.corrupt && !s.delay && !s.duplicate) return verdict;
    if (s.drop && applies(s.drop.direction, direction) && this.random.chance(s.drop.rate)) return { ...verdict, deliver: false };
    if (s.corrupt && applies(s.corrupt.direction, direction) && this.random.chance(s.corrupt.rate) && payload.length > 0) {
      const copy = Uint8Array.from(payload);
      const at = this.random.int(0, copy.length - 1);
      copy[at]! ^= 1 << this.random.int(0, 7);
      verdict.payload = copy;
    }
    if (s.delay && applies(s.delay.direction, direction) && this.random.chance(s.delay.rate ?? 1)) verdict.delayMs = s.delay.ms;
    if (s.duplicate && applies(s.duplicate.direction, direction) && this.random.chance(s.duplicate.rate)) verdict.copies = 2;
    return verdict;
  }
}
