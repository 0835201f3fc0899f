/**
 * Estate checks: each device against its catalogue model (is it what it says it is, does it run N or N-1) and
 * its planned upgrade against the upgrade rules (a single hop forward to N, unless a trial or an exception says
 * otherwise). Pure: the catalogue and estate come in as data.
 */
import {
  describeVersion,
  exceptionFor,
  findModel,
  findVersion,
  hex,
  upgradeHops,
  versionInState,
  type FirmwareCatalogue,
  type FirmwareModel,
} from './catalogue.ts';
import type { Estate, EstateDevice } from './estate.ts';
import { violation, type Violation } from './violations.ts';

/** Whether the device is the model the catalogue describes: type, manufacturer, image type, hardware. */
export function identityViolations(model: FirmwareModel, device: EstateDevice): Violation[] {
  const about = { device: device.id, model: model.model };
  const out: Violation[] = [];
  if (device.deviceType !== model.deviceType) {
    out.push(violation('device-type-mismatch', `the estate lists the device as ${device.deviceType}; catalogue model ${model.model} is ${model.deviceType}`, about));
  }
  if (device.manufacturerCode !== model.manufacturerCode) {
    out.push(violation('wrong-manufacturer', `the device reports manufacturer ${hex(device.manufacturerCode, 4)}; model ${model.model}'s images are for ${hex(model.manufacturerCode, 4)}`, about));
  }
  if (device.imageType !== undefined && device.imageType !== model.imageType) {
    out.push(violation('wrong-image-type', `the device reports image type ${hex(device.imageType, 4)}; model ${model.model}'s images are type ${hex(model.imageType, 4)}`, about));
  }
  const { min, max } = model.hardwareVersions;
  if (device.hardwareVersion < min || device.hardwareVersion > max) {
    out.push(violation('hardware-out-of-range', `hardware version ${hex(device.hardwareVersion, 4)} is outside model ${model.model}'s range ${hex(min, 4)}–${hex(max, 4)}`, about));
  }
  return out;
}

function policyVersions(model: FirmwareModel): string {
  const n = versionInState(model, 'approved');
  const previous = versionInState(model, 'previous');
  if (!n) return `model ${model.model} has no approved version`;
  return `the estate runs N ${describeVersion(model, n.fileVersion)}${previous ? ` or N-1 ${describeVersion(model, previous.fileVersion)}` : ''}`;
}

/** The running version: known to the catalogue, and N or N-1 (or the candidate on a trial device). */
export function currentVersionViolations(model: FirmwareModel, device: EstateDevice): Violation[] {
  const about = { device: device.id, model: model.model };
  const running = findVersion(model, device.currentVersion);
  if (!running) {
    return [violation('unknown-version', `the device runs ${hex(device.currentVersion, 8)}, which the catalogue does not list for model ${model.model}`, about)];
  }
  const inPolicy = running.state === 'approved' || running.state === 'previous' || (running.state === 'candidate' && device.trial === true);
  if (inPolicy) return [];
  const why = running.state === 'candidate' ? ' without being enrolled in its trial' : '';
  return [violation('version-not-current', `the device runs ${describeVersion(model, device.currentVersion)}${why}; ${policyVersions(model)}`, about)];
}

/**
 * Whether `target` may be sent to the device: a known, unretired version, newer than what it runs, a single
 * catalogue step ahead (or a recorded exception for exactly this hop), and N (or the candidate on a trial device).
 * A downgrade or an unknown or retired target is reported alone: the finer rules add nothing to it.
 */
export function upgradeViolations(catalogue: FirmwareCatalogue, model: FirmwareModel, device: EstateDevice, target: number): Violation[] {
  const about = { device: device.id, model: model.model };
  const targetVersion = findVersion(model, target);
  if (!targetVersion) {
    return [violation('unknown-version', `upgrade target ${hex(target, 8)} is not a version of model ${model.model} in the catalogue`, about)];
  }
  const from = describeVersion(model, device.currentVersion);
  const to = describeVersion(model, target);
  if (target <= device.currentVersion) {
    const what = target === device.currentVersion ? 'is the version the device already runs' : `is older than the running ${from}`;
    return [violation('downgrade', `upgrade target ${to} ${what}: firmware only moves forward`, about)];
  }
  if (targetVersion.state === 'retired') {
    return [violation('retired-version', `upgrade target ${to} is retired`, about)];
  }
  const out: Violation[] = [];
  const hops = upgradeHops(model, device.currentVersion, target);
  if (hops > 1 && !exceptionFor(catalogue, model.model, device.currentVersion, target)) {
    out.push(violation('multi-hop-upgrade', `upgrading from ${from} to ${to} is ${hops} steps; only a single hop is allowed without a recorded exception`, about));
  }
  if (targetVersion.state === 'previous' || (targetVersion.state === 'candidate' && device.trial !== true)) {
    const why = targetVersion.state === 'candidate' ? ' and the device is not enrolled in its trial' : '';
    out.push(violation('upgrade-not-to-approved', `upgrade target ${to} is not the approved version${why}; ${policyVersions(model)}`, about));
  }
  return out;
}

export function checkDevice(catalogue: FirmwareCatalogue, device: EstateDevice): Violation[] {
  const model = findModel(catalogue, device.model);
  if (!model) {
    return [violation('unknown-model', `model ${JSON.stringify(device.model)} is not in the catalogue`, { device: device.id })];
  }
  return [
    ...identityViolations(model, device),
    ...currentVersionViolations(model, device),
    ...(device.upgradeTo === undefined ? [] : upgradeViolations(catalogue, model, device, device.upgradeTo)),
  ];
}

export function checkEstate(catalogue: FirmwareCatalogue, estate: Estate): Violation[] {
  return estate.devices.flatMap((d) => checkDevice(catalogue, d));
}
