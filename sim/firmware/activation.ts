/**
 * CS06 Activate Firmware as a device reads and decides it. The command carries the manufacturer image hash, the
 * originator counter and, when future-dated, the execution date-time (9999-12-31T23:59:59Z cancels a pending one).
 * A device activates only the image it holds, only if the hash is that image's, and only if the policy lets it go
 * from the version it runs to the held one; otherwise the old version keeps running.
 */
import type { Eui } from '../../src/crypto/eui.ts';
import type { DecodedFrame } from '../../src/gbcs/frame.ts';
import { CANCELLATION_DATE_TIME } from '../../src/gbcs/payload/asn1/index.ts';
import { decodePayload } from '../../src/gbcs/payload/index.ts';
import { admitImage } from '../../src/ota/policy/admission.ts';
import type { FirmwareCatalogue } from '../../src/ota/policy/catalogue.ts';
import type { EstateDevice } from '../../src/ota/policy/estate.ts';
import type { HeldImage } from './image-check.ts';
import type { ActivationResponseCode } from './payloads.ts';

export interface ActivateCommand {
  hash: string;
  originatorCounter: bigint;
  /** Absent: at once. 'cancel': drop the pending activation. */
  at?: number | 'cancel';
}

/** A future-dated activation kept in non-volatile memory until its time. */
export interface PendingActivation {
  /** Device time it takes effect, ms since the epoch. */
  at: number;
  hash: string;
  originatorCounter: bigint;
  /** Who sent the command: the alert goes back to them. */
  originator: Eui;
}

/** The command's fields, or why it cannot be read (the device then discards it). */
export function readActivateCommand(frame: DecodedFrame): ActivateCommand | string {
  const decoded = decodePayload(frame.payload, { messageCode: frame.header.other.messageCode, cra: frame.header.cra, offset: frame.payloadOffset });
  if (decoded?.kind !== 'activate-firmware-command') return `the payload is not an activate firmware command (${decoded?.kind ?? 'unknown encoding'})`;
  const f = decoded.fields as { manufacturerImageHash?: unknown; originatorCounter?: unknown; executionDateTime?: unknown };
  if (typeof f.manufacturerImageHash !== 'string' || typeof f.originatorCounter !== 'string') return 'the activate firmware command lacks its hash or counter';
  const command: ActivateCommand = { hash: f.manufacturerImageHash.toLowerCase(), originatorCounter: BigInt(f.originatorCounter) };
  if (typeof f.executionDateTime === 'string') {
    const at = Date.parse(f.executionDateTime);
    if (!Number.isFinite(at)) return `the execution date-time ${f.executionDateTime} is not a time`;
    command.at = at === CANCELLATION_DATE_TIME.getTime() ? 'cancel' : at;
  }
  return command;
}

export interface ActivationContext {
  held: HeldImage | undefined;
  /** The device as image admission sees it, running its current version. */
  device: EstateDevice;
  /** Checked when given: downgrades and multi-hop moves are refused at activation too. */
  catalogue?: FirmwareCatalogue | undefined;
}

/** Whether the held image may run now; the response code if not. */
export function activationVerdict(hash: string, ctx: ActivationContext): { ok: true; image: HeldImage } | { ok: false; responseCode: ActivationResponseCode; detail: string } {
  const { held, device } = ctx;
  if (!held) return { ok: false, responseCode: 'noImageHeld', detail: 'no verified image is held' };
  if (held.hash !== hash) return { ok: false, responseCode: 'hashMismatch', detail: `the command's hash ${hash} is not the held image's ${held.hash}` };
  if (held.fileVersion <= device.currentVersion) {
    return { ok: false, responseCode: 'activationFailure', detail: `the held version 0x${held.fileVersion.toString(16)} is not newer than the running 0x${device.currentVersion.toString(16)}` };
  }
  if (ctx.catalogue) {
    const identity = { manufacturerCode: device.manufacturerCode, imageType: device.imageType ?? 0, fileVersion: held.fileVersion };
    const admission = admitImage(ctx.catalogue, device, identity);
    if (!admission.ok) return { ok: false, responseCode: 'activationFailure', detail: `${admission.violation.rule}: ${admission.violation.message}` };
  }
  return { ok: true, image: held };
}
