import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClockError, Random, RealClock, TimeoutError, TimerLoopError, VirtualClock, withTimeout, type Clock } from '../src/time/index.ts';

const START = Date.UTC(2025, 5, 1, 12, 0, 0);

describe('VirtualClock timers', () => {
  it('fires timers in (due time, order set) order and stops at the target time', async () => {
    const clock = new VirtualClock({ start: START });
    const fired: string[] = [];
    clock.setTimer(30, () => fired.push('c@30'));
    clock.setTimer(10, () => fired.push('a@10'));
    clock.setTimer(20, () => fired.push('b@20'));
    clock.setTimer(10, () => fired.push('a2@10'));
    clock.setTimer(40, () => fired.push('d@40'));

    expect(await clock.advance(30)).toBe(4);
    expect(fired).toEqual(['a@10', 'a2@10', 'b@20', 'c@30']);
    expect(clock.now()).toBe(START + 30);
    expect(clock.date().toISOString()).toBe('2025-06-01T12:00:00.030Z');
    expect(clock.pendingTimers).toBe(1);
    expect(clock.nextTimerAt()).toBe(START + 40);
  });

  it('honours timers set by callbacks during an advance, including zero-delay ones at the current time', async () => {
    const clock = new VirtualClock({ start: START });
    const fired: Array<[string, number]> = [];
    const at = (label: string) => () => fired.push([label, clock.now() - START]);
    clock.setTimer(10, () => {
      at('outer')();
      clock.setTimer(0, at('zero-delay'));
      clock.setTimer(5, at('nested'));
      clock.setTimer(100, at('too-late'));
    });
    clock.setTimer(10, at('sibling'));

    await clock.advance(50);
    expect(fired).toEqual([
      ['outer', 10],
      ['sibling', 10],
      ['zero-delay', 10],
      ['nested', 15],
    ]);
    expect(clock.now()).toBe(START + 50);
    expect(clock.pendingTimers).toBe(1);
  });

  it('does not fire cleared timers', async () => {
    const clock = new VirtualClock({ start: START });
    const fired: string[] = [];
    const keep = clock.setTimer(5, () => fired.push('keep'));
    const drop = clock.setTimer(5, () => fired.push('drop'));
    clock.clearTimer(drop);
    expect(clock.pendingTimers).toBe(1);
    await clock.runUntilIdle();
    clock.clearTimer(keep); // after firing: harmless
    expect(fired).toEqual(['keep']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('runNext jumps to the next timer and fires only that one', async () => {
    const clock = new VirtualClock({ start: START });
    const fired: string[] = [];
    clock.setTimer(500, () => fired.push('first'));
    clock.setTimer(500, () => fired.push('second'));
    expect(await clock.runNext()).toBe(true);
    expect(fired).toEqual(['first']);
    expect(clock.now()).toBe(START + 500);
    expect(await clock.runNext()).toBe(true);
    expect(await clock.runNext()).toBe(false);
    expect(clock.now()).toBe(START + 500);
  });

  it('guards against timer loops in runUntilIdle and advance', async () => {
    const clock = new VirtualClock({ start: START });
    const reschedule = (): void => void clock.setTimer(0, reschedule);
    clock.setTimer(1, reschedule);
    await expect(clock.runUntilIdle({ limit: 50 })).rejects.toBeInstanceOf(TimerLoopError);
    await expect(clock.advance(10, { limit: 50 })).rejects.toBeInstanceOf(TimerLoopError);
    expect(clock.now()).toBe(START + 1);
  });

  it('rejects overlapping advances, time travel and endless delays', async () => {
    const clock = new VirtualClock({ start: START });
    clock.setTimer(10, () => undefined);
    const first = clock.advance(20);
    await expect(clock.advance(5)).rejects.toBeInstanceOf(ClockError);
    await first;
    await expect(clock.advanceTo(START)).rejects.toBeInstanceOf(RangeError);
    await expect(clock.advance(-1)).rejects.toBeInstanceOf(RangeError);
    expect(() => clock.setTimer(Number.POSITIVE_INFINITY, () => undefined)).toThrow(RangeError);
    expect(() => new VirtualClock({ start: Number.NaN })).toThrow(RangeError);
  });

  it('stops at a throwing timer, leaving later timers queued', async () => {
    const clock = new VirtualClock({ start: START });
    const fired: string[] = [];
    clock.setTimer(10, () => {
      throw new Error('device model bug');
    });
    clock.setTimer(20, () => fired.push('later'));
    await expect(clock.advance(100)).rejects.toThrow('device model bug');
    expect(clock.now()).toBe(START + 10);
    await clock.advance(100);
    expect(fired).toEqual(['later']);
  });
});

describe('VirtualClock and async code', () => {
  it('lets code awaiting sleep() resume and set its next timer before the next event fires', async () => {
    const clock = new VirtualClock({ start: START });
    const log: string[] = [];
    const device = async (name: string, periodMs: number, rounds: number): Promise<void> => {
      for (let round = 1; round <= rounds; round++) {
        await clock.sleep(periodMs);
        // A few levels of awaiting between waking and sleeping again, as real device code has.
        await Promise.resolve();
        await (async () => {
          await null;
        })();
        log.push(`${clock.now() - START} ${name}#${round}`);
      }
    };
    const done = Promise.all([device('esme', 10, 3), device('ihd', 15, 2)]);

    // One call: only correct if each continuation ran before the clock looked for the next timer.
    await clock.advance(100);
    // Both are due at 30; ihd set its timer at 15, before esme set its own at 20, so ihd goes first.
    expect(log).toEqual(['10 esme#1', '15 ihd#1', '20 esme#2', '30 ihd#2', '30 esme#3']);
    await done;
  });

  it('rejects an aborted sleep and cancels its timer', async () => {
    const clock = new VirtualClock({ start: START });
    const abort = new AbortController();
    const sleeping = clock.sleep(1000, { signal: abort.signal });
    abort.abort(new Error('step cancelled'));
    await expect(sleeping).rejects.toThrow('step cancelled');
    expect(clock.pendingTimers).toBe(0);
    await expect(clock.sleep(5, { signal: abort.signal })).rejects.toThrow('step cancelled');
  });

  it('withTimeout rejects in clock time and clears its timer when the promise wins', async () => {
    const clock = new VirtualClock({ start: START });
    const never = new Promise<never>(() => undefined);
    const waiting = withTimeout(clock, never, 2_000, 'a meter reading');
    const outcome = waiting.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await clock.advance(1_999);
    await clock.advance(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).waitedMs).toBe(2_000);
    expect((error as TimeoutError).message).toContain('a meter reading');

    await expect(withTimeout(clock, Promise.resolve(7), 2_000, 'x')).resolves.toBe(7);
    expect(clock.pendingTimers).toBe(0);
  });
});

/** A little simulation: devices waking on random periods and drawing random bytes, logged with virtual time. */
async function simulationLogHash(seed: number, deviceNames: readonly string[]): Promise<{ hash: string; perDevice: Map<string, string[]> }> {
  const clock = new VirtualClock({ start: START });
  const root = Random.fromSeed(seed);
  const log: string[] = [];
  const perDevice = new Map<string, string[]>();
  let finished = 0;
  const device = async (name: string): Promise<void> => {
    const random = root.fork(name);
    const own: string[] = [];
    perDevice.set(name, own);
    for (let i = 0; i < 20; i++) {
      await clock.sleep(random.int(1, 50));
      const line = `${clock.now() - START} ${name} ${Buffer.from(random.bytes(4)).toString('hex')}`;
      log.push(line);
      own.push(line);
    }
    finished++;
  };
  const running = Promise.all(deviceNames.map(device));
  await clock.runUntilIdle();
  expect(finished).toBe(deviceNames.length);
  await running;
  return { hash: createHash('sha256').update(log.join('\n')).digest('hex'), perDevice };
}

describe('determinism', () => {
  it('gives the same event log for the same seed, and a different one for another seed', async () => {
    const devices = ['esme-1', 'gsme-1', 'ihd-1', 'ppmid-1'];
    const first = await simulationLogHash(7, devices);
    const second = await simulationLogHash(7, devices);
    const other = await simulationLogHash(8, devices);
    expect(second.hash).toBe(first.hash);
    expect(other.hash).not.toBe(first.hash);
  });

  it('leaves a device unchanged when another device is added', async () => {
    const small = await simulationLogHash(7, ['esme-1', 'ihd-1']);
    const large = await simulationLogHash(7, ['esme-1', 'gsme-1', 'ihd-1']);
    expect(large.perDevice.get('esme-1')).toEqual(small.perDevice.get('esme-1'));
    expect(large.perDevice.get('ihd-1')).toEqual(small.perDevice.get('ihd-1'));
  });
});

describe('Random', () => {
  it('is pinned: seed 42 gives these values on every machine and version', () => {
    const random = Random.fromSeed(42);
    expect([random.u32(), random.u32(), random.u32()]).toEqual([176370439, 4029758974, 1987917501]);
    expect(Buffer.from(random.fork('esme-1').bytes(8)).toString('hex')).toBe('320aa15b72050eb7');
  });

  it('repeats for the same seed and differs for another, numeric or text', () => {
    const draw = (random: Random): number[] => Array.from({ length: 16 }, () => random.u32());
    expect(draw(Random.fromSeed(1))).toEqual(draw(Random.fromSeed(1)));
    expect(draw(Random.fromSeed(1))).not.toEqual(draw(Random.fromSeed(2)));
    expect(draw(Random.fromSeed('1'))).not.toEqual(draw(Random.fromSeed(1)));
    expect(() => Random.fromSeed(1.5)).toThrow(RangeError);
  });

  it('forks depend only on seed and labels, not on use of the parent or siblings', () => {
    const draw = (random: Random): number[] => Array.from({ length: 16 }, () => random.u32());
    const fresh = draw(Random.fromSeed(9).fork('esme-1'));

    const busy = Random.fromSeed(9);
    draw(busy);
    draw(busy.fork('gsme-1'));
    const afterUse = draw(busy.fork('esme-1'));

    expect(afterUse).toEqual(fresh);
    expect(draw(Random.fromSeed(9).fork('gsme-1'))).not.toEqual(fresh);
    expect(draw(Random.fromSeed(9))).not.toEqual(fresh);
    const nested = Random.fromSeed(9).fork('esme-1').fork('jitter');
    expect(nested.path).toBe('9/esme-1/jitter');
    expect(draw(nested)).not.toEqual(fresh);
    expect(() => busy.fork('')).toThrow(RangeError);
  });

  it('keeps int within its bounds and float within [0, 1)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 10_000 }), (seed, min, span) => {
        const random = Random.fromSeed(seed);
        const value = random.int(min, min + span);
        const float = random.float();
        return Number.isInteger(value) && value >= min && value <= min + span && float >= 0 && float < 1;
      }),
    );
  });

  it('covers a small range evenly enough', () => {
    const random = Random.fromSeed(3);
    const counts = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 6000; i++) counts[random.int(1, 6) - 1]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(850);
  });

  it('gives bytes of any length, picks, and chances at the edges', () => {
    const random = Random.fromSeed(5);
    expect(random.bytes(0)).toHaveLength(0);
    expect(random.bytes(7)).toHaveLength(7);
    expect(Random.fromSeed(5).bytes(7)).not.toEqual(Random.fromSeed(6).bytes(7));
    const items = ['a', 'b', 'c'] as const;
    for (let i = 0; i < 30; i++) expect(items).toContain(random.pick(items));
    expect(Array.from({ length: 50 }, () => random.chance(0)).some(Boolean)).toBe(false);
    expect(Array.from({ length: 50 }, () => random.chance(1)).every(Boolean)).toBe(true);
  });

  it('refuses nonsense arguments with RangeError', () => {
    const random = Random.fromSeed(5);
    expect(() => random.int(3, 2)).toThrow(RangeError);
    expect(() => random.int(0.5, 2)).toThrow(RangeError);
    expect(() => random.pick([])).toThrow(RangeError);
    expect(() => random.chance(1.5)).toThrow(RangeError);
    expect(() => random.chance(Number.NaN)).toThrow(RangeError);
    expect(() => random.bytes(-1)).toThrow(RangeError);
  });
});

describe('RealClock', () => {
  const clock: Clock = new RealClock();

  it('reads wall time', () => {
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(50);
    expect(Math.abs(clock.date().getTime() - Date.now())).toBeLessThan(50);
  });

  it('sleeps, fires timers and clears them', async () => {
    const started = Date.now();
    await clock.sleep(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(29);

    const fired: string[] = [];
    const dropped = clock.setTimer(10, () => fired.push('dropped'));
    clock.setTimer(20, () => fired.push('kept'));
    clock.clearTimer(dropped);
    await clock.sleep(40);
    expect(fired).toEqual(['kept']);
  });

  it('holds timers longer than setTimeout allows instead of firing them at once', async () => {
    let fired = false;
    const handle = clock.setTimer(2 ** 31 + 1000, () => {
      fired = true;
    });
    await clock.sleep(20);
    clock.clearTimer(handle);
    expect(fired).toBe(false);
    expect(handle.dueAt - Date.now()).toBeGreaterThan(2 ** 31);
  });

  it('times out waits in real time', async () => {
    const never = new Promise<never>(() => undefined);
    await expect(withTimeout(clock, never, 20, 'nothing')).rejects.toBeInstanceOf(TimeoutError);
  });
});
