/**
 * What the simulated premises know about firmware and show of it: the hub's distribution targets, what the DCC
 * fills into 11.1 (its inventory of device models, to build test images) and 11.3 (the last image it sent each
 * device), and the firmware fields of each device's scenario-visible state.
 */
import type { Eui } from '../../src/crypto/eui.ts';
import type { FirmwareHeadEnd } from '../../src/headend/requests/firmware.ts';
import type { RequestParams } from '../../src/headend/requests/types.ts';
import type { Json } from '../../src/gbcs/payload/types.ts';
import type { FirmwareDistributor } from './distributor.ts';
import type { DeviceFirmware } from './device-firmware.ts';
import { SIM_HUB_MODEL, simFirmwareModel } from './models.ts';
import type { MeterFirmware } from './wiring.ts';

interface Meter {
  eui: Eui;
  model: string;
  firmware: MeterFirmware;
}

type FirmwareRole = 'chf' | 'esme' | 'gsme';

/** Lets the hub distribute to the premises' meters: the ESME is always on, the GSME sleeps (served by the GPF). */
export function registerFirmwareTargets(distributor: FirmwareDistributor, meters: { esme?: Meter | undefined; gsme?: Meter | undefined }): void {
  if (meters.esme) distributor.registerTarget(meters.esme.eui, { describe: () => meters.esme!.firmware.device.estate(), sleepy: false });
  if (meters.gsme) distributor.registerTarget(meters.gsme.eui, { describe: () => meters.gsme!.firmware.device.estate(), sleepy: true });
}

function inventoryRow(model: string): Json | undefined {
  const m = simFirmwareModel(model);
  if (!m) return undefined;
  return {
    model,
    manufacturerCode: m.manufacturerCode,
    imageType: m.imageType,
    minHardwareVersion: m.hardwareVersions.min,
    maxHardwareVersion: m.hardwareVersions.max,
    imageBytes: m.testImageBytes,
  };
}

/** The parameters the DCC fills in itself for 11.1 and 11.3; none for other requests. */
export function firmwareDefaults(srv: string, headEnd: FirmwareHeadEnd, devices: { chf: Eui; esme?: Meter | undefined; gsme?: Meter | undefined }): RequestParams {
  if (srv === '11.1') {
    const inventory: Record<string, Json> = {};
    const models: [FirmwareRole, string | undefined][] = [['chf', SIM_HUB_MODEL], ['esme', devices.esme?.model], ['gsme', devices.gsme?.model]];
    for (const [role, model] of models) {
      const row = model === undefined ? undefined : inventoryRow(model);
      if (row !== undefined) inventory[role] = row;
    }
    return { inventory };
  }
  if (srv === '11.3') {
    const sentImages: Record<string, Json> = {};
    for (const eui of [devices.chf, devices.esme?.eui, devices.gsme?.eui]) {
      const hash = eui === undefined ? undefined : headEnd.lastImageSent(eui)?.hash;
      if (eui !== undefined && hash !== undefined) sentImages[eui] = hash;
    }
    return { sentImages };
  }
  return {};
}

const hex8 = (v: number) => v.toString(16).padStart(8, '0');

function heldFields(device: DeviceFirmware): Record<string, string> {
  const refusal = device.refusals.at(-1);
  return { firmwareHeld: device.held ? hex8(device.held.fileVersion) : 'none', firmwareRefusal: refusal ? refusal.refusal : 'none' };
}

/** The hub's firmware state: what it holds for itself, and its last refusal of an image (a policy rule id). */
export function hubFirmwareState(own: DeviceFirmware, distributor: FirmwareDistributor): Record<string, string | number> {
  return { ...heldFields(own), firmwareRefusal: distributor.lastRefusal?.rule ?? 'none', firmwareTransfers: distributor.inProgress.length };
}

/** A meter's firmware state: held image, device-level refusal, download progress and resume facts. */
export function meterFirmwareState(f: MeterFirmware): Record<string, string | number> {
  const download = f.ota.download;
  const resumedFrom = f.ota.stats.resumedFrom.at(-1);
  return {
    ...heldFields(f.device),
    firmwareRunning: hex8(f.device.running),
    firmwareDownload: download ? Math.round((download.bytes * 1000) / download.total) / 10 : 0,
    firmwareRepeatedRequests: f.ota.stats.repeatedRequests,
    firmwareRefetched: f.ota.stats.refetchedAfterResume,
    firmwareResumedFrom: resumedFrom ?? -1,
  };
}
