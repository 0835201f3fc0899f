import { afterEach, beforeEach, expect } from 'vitest';

/**
 * For tests that open links and brokers: `later(thing)` closes it after the test (`atEnd` runs any other
 * cleanup), and any unhandled rejection during the test fails it (a link that goes away must never leave one).
 */
export function closeAfterEachAndRefuseUnhandled(): {
  later: <T extends { close(): Promise<unknown> } | { stop(): Promise<unknown> }>(thing: T) => T;
  atEnd: (cleanup: () => Promise<unknown>) => void;
} {
  let cleanups: Array<() => Promise<unknown>> = [];
  let unhandled: unknown[] = [];
  const recordUnhandled = (reason: unknown): void => void unhandled.push(reason);
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', recordUnhandled);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups = [];
    process.off('unhandledRejection', recordUnhandled);
    expect(unhandled).toEqual([]);
  });
  return {
    later: (thing) => {
      cleanups.push(() => ('close' in thing ? thing.close() : thing.stop()));
      return thing;
    },
    atEnd: (cleanup) => void cleanups.push(cleanup),
  };
}
