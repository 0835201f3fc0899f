import { Zcl } from 'zigbee-herdsman';
import { ALERT_CODE_NAMES } from '../../alert-codes.ts';

/** A code as evidence shows it: 0x and lower-case hex, zero-padded to the field's width. */
export function hexCode(n: number, digits: number): string {
  return `0x${n.toString(16).padStart(digits, '0')}`;
}

function invert(e: object): Map<number, string> {
  return new Map(
    Object.entries(e)
      .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
      .map(([name, code]) => [code, name]),
  );
}

const STATUS = invert(Zcl.Status);
// ZCL 8 reserved 0xc2; GBCS devices still report it with its earlier meaning.
STATUS.set(0xc2, 'CALIBRATION_ERROR');

/** ZCL status names as zigbee-herdsman spells them (SUCCESS, NOT_FOUND, HARDWARE_FAILURE …). */
export function statusName(status: number): string {
  return STATUS.get(status) ?? hexCode(status, 2);
}

export const STATUS_SUCCESS = 0x00;
export const STATUS_FAILURE = 0x01;
export const STATUS_NOT_FOUND = 0x8b;
export const STATUS_HARDWARE_FAILURE = 0xc0;

/** Profile-wide ("global") ZCL commands the GBZ codec decodes; other global commands stay raw. */
export const GLOBAL = {
  READ_ATTRIBUTES: 0x00,
  READ_ATTRIBUTES_RESPONSE: 0x01,
  WRITE_ATTRIBUTES: 0x02,
  WRITE_ATTRIBUTES_UNDIVIDED: 0x03,
  WRITE_ATTRIBUTES_RESPONSE: 0x04,
  WRITE_ATTRIBUTES_NO_RESPONSE: 0x05,
  DEFAULT_RESPONSE: 0x0b,
} as const;

const FOUNDATION = new Map<number, string>(
  Object.entries(Zcl.Foundation as unknown as Record<string, { ID: number }>).map(([name, c]) => [c.ID, name]),
);

/** zigbee-herdsman's names for global commands (read, readRsp, defaultRsp …). */
export function globalCommandName(commandId: number): string | undefined {
  return FOUNDATION.get(commandId);
}

/**
 * The command id a GBZ response's Default Response carries for a component the device did not execute because
 * an earlier component of the same command failed (the RTDS error responses pair it with FAILURE).
 */
export const NOT_EXECUTED_COMMAND_ID = 0xff;

export function alertCodeName(code: number): string | undefined {
  return ALERT_CODE_NAMES.get(code);
}

/** The "other info" of a meter integrity issue warning (alert 0x81A0). */
const INTEGRITY_ISSUES: Record<number, string> = {
  0x0000: 'Other',
  0x0001: 'Error Non Volatile Memory',
  0x0002: 'Error Program Execution',
  0x0003: 'Error Program Storage',
  0x0004: 'Error RAM',
  0x0005: 'Error Unexpected Hardware Reset',
  0x0006: 'Error Watchdog',
  0x0007: 'Error Metrology Firmware Verification Failure',
  0x0008: 'Error Measurement Fault',
  0x0009: 'Unspecified Smart Meter Operational Integrity Error',
};

export function integrityIssueName(code: number): string | undefined {
  return INTEGRITY_ISSUES[code];
}
