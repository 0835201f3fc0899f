/**
 * ZCL UTCTime counts seconds since 2000-01-01T00:00:00Z, not since 1970. The OTA cluster uses it for the
 * WAIT_FOR_DATA request time and the Upgrade End Response times; only differences matter to the client.
 */
export const ZIGBEE_EPOCH_MS = Date.UTC(2000, 0, 1);

/** Upgrade End Response upgrade time meaning "do not upgrade until told again". */
export const UPGRADE_ON_COMMAND = 0xffffffff;

/** Clock time (ms since 1970) as ZCL UTCTime, rounded down to the second. */
export function toZigbeeUtc(clockMs: number): number {
  const seconds = Math.floor((clockMs - ZIGBEE_EPOCH_MS) / 1000);
  if (seconds < 0 || seconds >= UPGRADE_ON_COMMAND) throw new RangeError(`clock time ${new Date(clockMs).toISOString()} has no ZCL UTCTime`);
  return seconds;
}

/** The first ZCL UTCTime second at or after a clock time, for "not before" times such as a WAIT_FOR_DATA request time. */
export function toZigbeeUtcCeil(clockMs: number): number {
  return toZigbeeUtc(clockMs + 999);
}
