/**
 * Image admission: whether an offered firmware image may go to a device, as the DCC would judge it before
 * distribution and the device before it keeps the image. The simulator refuses exactly what this refuses.
 */
import type { OtaHeader } from '../header.ts';
import { findModel, findVersion, hex, type FirmwareCatalogue, type FirmwareVersion } from './catalogue.ts';
import { identityViolations, upgradeViolations } from './check-estate.ts';
import type { EstateDevice } from './estate.ts';
import { violation, type Violation } from './violations.ts';

/** The header fields admission looks at; an OtaHeader from readOtaHeader or parseGbImage fits. */
export type ImageIdentity = Pick<OtaHeader, 'manufacturerCode' | 'imageType' | 'fileVersion' | 'hardwareVersions'>;

export type Admission = { ok: true; version: FirmwareVersion } | { ok: false; violation: Violation };

export interface AdmissionOptions {
  /** SHA-256 of the offered manufacturer image; compared with the catalogue's when both are known. */
  manufacturerImageHash?: Uint8Array;
}

/** The first reason to refuse `image` for `device`, checked in the order a device would: identity, then version. */
export function admitImage(catalogue: FirmwareCatalogue, device: EstateDevice, image: ImageIdentity, options: AdmissionOptions = {}): Admission {
  const refuse = (v: Violation): Admission => ({ ok: false, violation: v });
  const model = findModel(catalogue, device.model);
  if (!model) return refuse(violation('unknown-model', `model ${JSON.stringify(device.model)} is not in the catalogue`, { device: device.id }));
  const about = { device: device.id, model: model.model };

  const identity = identityViolations(model, device)[0];
  if (identity) return refuse(identity);
  if (image.manufacturerCode !== model.manufacturerCode) {
    return refuse(violation('wrong-manufacturer', `the image is for manufacturer ${hex(image.manufacturerCode, 4)}; the device is ${hex(model.manufacturerCode, 4)}`, about));
  }
  if (image.imageType !== model.imageType) {
    return refuse(violation('wrong-image-type', `the image is type ${hex(image.imageType, 4)}; model ${model.model} takes type ${hex(model.imageType, 4)}`, about));
  }
  const range = image.hardwareVersions;
  if (range && (device.hardwareVersion < range.min || device.hardwareVersion > range.max)) {
    return refuse(violation('hardware-out-of-range', `the image is for hardware ${hex(range.min, 4)}–${hex(range.max, 4)}; the device is ${hex(device.hardwareVersion, 4)}`, about));
  }

  const upgrade = upgradeViolations(catalogue, model, device, image.fileVersion)[0];
  if (upgrade) return refuse(upgrade);
  // upgradeViolations refuses a version the catalogue does not list, so it is there.
  const version = findVersion(model, image.fileVersion)!;
  const offered = options.manufacturerImageHash && Buffer.from(options.manufacturerImageHash).toString('hex');
  const expected = version.manufacturerImageHash?.toLowerCase();
  if (offered !== undefined && expected !== undefined && offered !== expected) {
    return refuse(violation('image-hash-mismatch', `the manufacturer image hash ${offered} is not the catalogue's ${expected} for ${version.label}`, about));
  }
  return { ok: true, version };
}
