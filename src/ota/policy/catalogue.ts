/**
 * The firmware catalogue: per device model, the firmware versions the GB estate knows and where each stands in
 * the N / N-1 policy, plus the recorded exceptions that allow a specific multi-hop upgrade.
 */
import type { HardwareVersionRange } from '../header.ts';

export const DEVICE_TYPES = ['ESME', 'GSME', 'CHF', 'PPMID', 'IHD'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/** candidate = N+1 under test, approved = N, previous = N-1, retired = no device should run or receive it. */
export const VERSION_STATES = ['candidate', 'approved', 'previous', 'retired'] as const;
export type VersionState = (typeof VERSION_STATES)[number];

export interface FirmwareVersion {
  /** The 32-bit file version in the OTA header (what Read Firmware Version reports). */
  fileVersion: number;
  /** What people call it, e.g. "3.1.0". */
  label: string;
  state: VersionState;
  /** SHA-256 of the manufacturer image, hex: what CS06 Activate Firmware carries. */
  manufacturerImageHash?: string | undefined;
}

export interface FirmwareModel {
  model: string;
  deviceType: DeviceType;
  manufacturerCode: number;
  imageType: number;
  hardwareVersions: HardwareVersionRange;
  versions: FirmwareVersion[];
  /** Comms Hubs only: the file version manufactured into new units. */
  manufactured?: number | undefined;
}

/** Permission for one multi-hop upgrade of one model, exactly from → to. */
export interface UpgradeException {
  model: string;
  from: number;
  to: number;
  reason: string;
  reference: string;
}

export interface FirmwareCatalogue {
  models: FirmwareModel[];
  exceptions: UpgradeException[];
}

export const hex = (n: number, digits: number): string => `0x${n.toString(16).toUpperCase().padStart(digits, '0')}`;

export function findModel(catalogue: FirmwareCatalogue, model: string): FirmwareModel | undefined {
  return catalogue.models.find((m) => m.model === model);
}

export function findVersion(model: FirmwareModel, fileVersion: number): FirmwareVersion | undefined {
  return model.versions.find((v) => v.fileVersion === fileVersion);
}

/** The highest version in `state`; the catalogue checks report a model with more than one approved or previous. */
export function versionInState(model: FirmwareModel, state: VersionState): FirmwareVersion | undefined {
  let found: FirmwareVersion | undefined;
  for (const v of model.versions) if (v.state === state && (!found || v.fileVersion > found.fileVersion)) found = v;
  return found;
}

/**
 * How many versions in service (candidate, approved, previous) an upgrade from → to steps through, counting `to`:
 * 1 is a single hop. Retired versions are not steps, so a withdrawn candidate does not turn N → N+1 into two hops.
 */
export function upgradeHops(model: FirmwareModel, from: number, to: number): number {
  const steps = model.versions.filter((v) => v.state !== 'retired' && v.fileVersion > from && v.fileVersion <= to);
  return new Set(steps.map((v) => v.fileVersion)).size;
}

export function exceptionFor(catalogue: FirmwareCatalogue, model: string, from: number, to: number): UpgradeException | undefined {
  return catalogue.exceptions.find((e) => e.model === model && e.from === from && e.to === to);
}

/** "0x00030000 (3.0.0, approved)", or "0x00030001 (not in the catalogue)". */
export function describeVersion(model: FirmwareModel, fileVersion: number): string {
  const v = findVersion(model, fileVersion);
  return `${hex(fileVersion, 8)} (${v ? `${v.label}, ${v.state}` : 'not in the catalogue'})`;
}
