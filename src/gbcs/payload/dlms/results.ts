/** Names of the Green Book's Data-Access-Result (get, set) and Action-Result (action) enumerations. */

const COMMON: Record<number, string> = {
  0: 'success',
  1: 'hardware-fault',
  2: 'temporary-failure',
  3: 'read-write-denied',
  4: 'object-undefined',
  9: 'object-class-inconsistent',
  11: 'object-unavailable',
  12: 'type-unmatched',
  13: 'scope-of-access-violated',
  14: 'data-block-unavailable',
  250: 'other-reason',
};

const DATA_ACCESS: Record<number, string> = {
  ...COMMON,
  15: 'long-get-aborted',
  16: 'no-long-get-in-progress',
  17: 'long-set-aborted',
  18: 'no-long-set-in-progress',
  19: 'data-block-number-invalid',
};

const ACTION: Record<number, string> = { ...COMMON, 15: 'long-action-aborted', 16: 'no-long-action-in-progress' };

export function resultName(service: 'get' | 'set' | 'action', result: number): string | undefined {
  return (service === 'action' ? ACTION : DATA_ACCESS)[result];
}

/** Result codes by name, for builders. */
export const RESULT = {
  success: 0,
  hardwareFault: 1,
  temporaryFailure: 2,
  readWriteDenied: 3,
  objectUndefined: 4,
  objectUnavailable: 11,
  typeUnmatched: 12,
  otherReason: 250,
} as const;
