/**
 * The firmware identity of the simulator's device models and the catalogue the simulated premises gives its
 * Comms Hub: what a hub checks an offered image against (GB signature aside) before it distributes it.
 *
 * Every model has the same version ladder, so scenarios read the same everywhere:
 *   0.1.0 retired (a hub's factory default), 1.0.0 previous (N-1), 2.0.0 approved (N), 3.0.0 candidate (N+1).
 * No manufacturer image hashes are listed: the harness builds its test images on demand, and a catalogue hash
 * would make every other image of that version refused (see admitImage).
 */
import type { DeviceType, FirmwareCatalogue, FirmwareModel } from '../../src/ota/policy/catalogue.ts';
import type { EstateDevice } from '../../src/ota/policy/estate.ts';

/** What a device of a model reports of itself to an OTA server, and what its images look like. */
export interface SimFirmwareModel {
  model: string;
  deviceType: Extract<DeviceType, 'ESME' | 'GSME' | 'CHF'>;
  manufacturerCode: number;
  imageType: number;
  /** Hardware the model's images are built for. */
  hardwareVersions: { min: number; max: number };
  /** The hardware version of the simulated units of this model. */
  hardwareVersion: number;
  /** Size of the manufacturer image in the test images the harness builds for the model. */
  testImageBytes: number;
}

/** "HL": a manufacturer code no real ZigBee vendor uses here. */
const HANLAB_MANUFACTURER = 0x484c;
const HARDWARE = { min: 0x0100, max: 0x01ff } as const;

export const SIM_FIRMWARE_MODELS: readonly SimFirmwareModel[] = [
  { model: 'HANLAB-CHF-1', deviceType: 'CHF', manufacturerCode: HANLAB_MANUFACTURER, imageType: 0x0100, hardwareVersions: HARDWARE, hardwareVersion: 0x0102, testImageBytes: 64 * 1024 },
  { model: 'HANLAB-ESME-1', deviceType: 'ESME', manufacturerCode: HANLAB_MANUFACTURER, imageType: 0x0101, hardwareVersions: HARDWARE, hardwareVersion: 0x0102, testImageBytes: 16 * 1024 },
  // A GSME image that spans several wakes at the default pacing (see sim/firmware/ota-endpoint.ts).
  { model: 'HANLAB-GSME-1', deviceType: 'GSME', manufacturerCode: HANLAB_MANUFACTURER, imageType: 0x0102, hardwareVersions: HARDWARE, hardwareVersion: 0x0102, testImageBytes: 40 * 1024 },
];

/** The Comms Hub model the simulator runs (CommsHub has no model setting of its own). */
export const SIM_HUB_MODEL = 'HANLAB-CHF-1';

export function simFirmwareModel(model: string): SimFirmwareModel | undefined {
  return SIM_FIRMWARE_MODELS.find((m) => m.model === model);
}

const LADDER = [
  { fileVersion: 0x00010000, label: '0.1.0', state: 'retired' },
  { fileVersion: 0x01000000, label: '1.0.0', state: 'previous' },
  { fileVersion: 0x02000000, label: '2.0.0', state: 'approved' },
  { fileVersion: 0x03000000, label: '3.0.0', state: 'candidate' },
] as const;

function catalogueModel(m: SimFirmwareModel): FirmwareModel {
  return {
    model: m.model,
    deviceType: m.deviceType,
    manufacturerCode: m.manufacturerCode,
    imageType: m.imageType,
    hardwareVersions: { ...m.hardwareVersions },
    versions: LADDER.map((v) => ({ ...v })),
    ...(m.deviceType === 'CHF' ? { manufactured: 0x02000000 } : {}),
  };
}

export const DEFAULT_FIRMWARE_CATALOGUE: FirmwareCatalogue = { models: SIM_FIRMWARE_MODELS.map(catalogueModel), exceptions: [] };

/** A device as the estate (and image admission) sees it: its model's identity and the version it runs. */
export function estateDeviceOf(id: string, model: string, currentVersion: number): EstateDevice {
  const m = simFirmwareModel(model);
  // An unknown model is described as well as it can be; admission then refuses it as `unknown-model`.
  return m
    ? { id, model, deviceType: m.deviceType, manufacturerCode: m.manufacturerCode, hardwareVersion: m.hardwareVersion, imageType: m.imageType, currentVersion }
    : { id, model, deviceType: 'ESME', manufacturerCode: 0, hardwareVersion: 0, currentVersion };
}
