/** The catalogue's own consistency: what must hold before any device can be judged against it. */
import { findModel, findVersion, hex, versionInState, type FirmwareCatalogue, type FirmwareModel, type VersionState } from './catalogue.ts';
import { violation, type Violation } from './violations.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** Newest first among versions in service; retired versions may sit anywhere (a withdrawn candidate is newer than N). */
const SERVICE_ORDER: readonly VersionState[] = ['candidate', 'approved', 'previous'];

function stateCountViolations(model: FirmwareModel): Violation[] {
  const about = { model: model.model };
  const out: Violation[] = [];
  const approved = model.versions.filter((v) => v.state === 'approved');
  if (approved.length !== 1) {
    const which = approved.length === 0 ? 'none' : approved.map((v) => v.label).join(', ');
    out.push(violation('approved-count', `model ${model.model} must have exactly one approved version (N), has ${approved.length}: ${which}`, about));
  }
  const previous = model.versions.filter((v) => v.state === 'previous');
  if (previous.length > 1) {
    out.push(violation('previous-count', `model ${model.model} may have at most one previous version (N-1), has ${previous.length}: ${previous.map((v) => v.label).join(', ')}`, about));
  }
  return out;
}

function duplicateVersionViolations(model: FirmwareModel): Violation[] {
  const seen = new Map<number, string[]>();
  for (const v of model.versions) seen.set(v.fileVersion, [...(seen.get(v.fileVersion) ?? []), v.label]);
  return [...seen]
    .filter(([, labels]) => labels.length > 1)
    .map(([fileVersion, labels]) =>
      violation('duplicate-version', `model ${model.model} lists file version ${hex(fileVersion, 8)} ${labels.length} times (${labels.join(', ')})`, { model: model.model }),
    );
}

function stateOrderViolations(model: FirmwareModel): Violation[] {
  const out: Violation[] = [];
  SERVICE_ORDER.forEach((newer, i) => {
    for (const older of SERVICE_ORDER.slice(i + 1)) {
      const a = versionInState(model, newer);
      const b = versionInState(model, older);
      if (a && b && a.fileVersion <= b.fileVersion) {
        out.push(violation('state-out-of-order', `model ${model.model}: ${newer} ${a.label} (${hex(a.fileVersion, 8)}) must be newer than ${older} ${b.label} (${hex(b.fileVersion, 8)})`, { model: model.model }));
      }
    }
  });
  return out;
}

function hashViolations(model: FirmwareModel): Violation[] {
  const about = { model: model.model };
  return model.versions.flatMap((v) => {
    const hash = v.manufacturerImageHash;
    if (hash === undefined) {
      return v.state === 'approved' || v.state === 'candidate'
        ? [violation('missing-hash', `model ${model.model} ${v.state} ${v.label} has no manufacturer image hash: the head-end cannot build its activation (CS06)`, about)]
        : [];
    }
    return SHA256_HEX.test(hash)
      ? []
      : [violation('malformed-hash', `model ${model.model} ${v.label}: manufacturer image hash ${JSON.stringify(hash)} is not a SHA-256 (64 hex digits)`, about)];
  });
}

function manufacturedViolations(model: FirmwareModel): Violation[] {
  if (model.deviceType !== 'CHF') return [];
  const about = { model: model.model };
  if (model.manufactured === undefined) {
    return [violation('hub-manufactured-not-approved', `Comms Hub model ${model.model} does not say which version is manufactured into new units`, about)];
  }
  const approved = versionInState(model, 'approved');
  if (approved?.fileVersion === model.manufactured) return [];
  const made = findVersion(model, model.manufactured);
  const madeText = made ? `${made.label} (${made.state})` : `${hex(model.manufactured, 8)}, which the catalogue does not list`;
  const needed = approved ? `the approved ${approved.label}` : 'an approved version';
  return [violation('hub-manufactured-not-approved', `new ${model.model} Comms Hubs are manufactured with ${madeText}, not ${needed}: every new hub would need an OTA at install`, about)];
}

function exceptionViolations(catalogue: FirmwareCatalogue): Violation[] {
  return catalogue.exceptions.flatMap((e) => {
    const what = `exception ${e.reference} (${hex(e.from, 8)} → ${hex(e.to, 8)})`;
    const model = findModel(catalogue, e.model);
    const about = { model: e.model };
    if (!model) return [violation('exception-invalid', `${what} names model ${JSON.stringify(e.model)}, which is not in the catalogue`, about)];
    const unknown = [e.from, e.to].filter((v) => !findVersion(model, v));
    if (unknown.length > 0) {
      return [violation('exception-invalid', `${what}: ${unknown.map((v) => hex(v, 8)).join(' and ')} not listed for model ${model.model}`, about)];
    }
    if (e.from >= e.to) return [violation('exception-invalid', `${what} does not go forward: no exception allows a downgrade`, about)];
    return [];
  });
}

export function checkCatalogue(catalogue: FirmwareCatalogue): Violation[] {
  return [
    ...catalogue.models.flatMap((m) => [
      ...stateCountViolations(m),
      ...duplicateVersionViolations(m),
      ...stateOrderViolations(m),
      ...hashViolations(m),
      ...manufacturedViolations(m),
    ]),
    ...exceptionViolations(catalogue),
  ];
}
