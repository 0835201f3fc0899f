import { z } from 'zod';
import { didYouMean } from './did-you-mean.ts';
import { roleField, type Role } from './roles.ts';
import { FAULT_KINDS, HAN_ACTIONS, type Fault, type HanAction, type HanActionName } from './types.ts';
import { closedObject, durationField, exprField, isRecord, parseWith, rateField, reject, signedDurationField, type Problem } from './zod-kit.ts';

/** Which devices each action makes sense for. */
const ACTION_DEVICES: Readonly<Record<HanActionName, readonly Role[] | 'any'>> = {
  'enter-utrn': ['ppmid', 'esme', 'gsme'],
  'ihd-read': ['ihd', 'ppmid'],
  'power-off': 'any',
  'power-on': 'any',
  reboot: 'any',
  fault: 'any',
  'fault-clear': 'any',
  'replace-hub': ['chf'],
  join: ['gpf', 'esme', 'gsme', 'ppmid', 'ihd'],
};

const action = z.enum(HAN_ACTIONS);
const device = { action, device: roleField };
const faultDirection = z.enum(['in', 'out', 'both']);

const ACTION_SCHEMAS: Readonly<Record<HanActionName, z.ZodType<unknown>>> = {
  'enter-utrn': closedObject({ ...device, utrn: exprField }),
  'ihd-read': closedObject(device),
  'power-off': closedObject(device),
  'power-on': closedObject(device),
  reboot: closedObject(device),
  join: closedObject(device),
  fault: closedObject({
    ...device,
    kind: z.enum(FAULT_KINDS),
    direction: faultDirection.optional(),
    rate: rateField.optional(),
    delay: durationField.optional(),
    drift: signedDurationField.optional(),
  }),
  'fault-clear': closedObject({ ...device, kind: z.enum(FAULT_KINDS).optional() }),
  'replace-hub': closedObject({ action, device: z.literal('chf').optional(), model: z.string().min(1).optional(), firmware: z.string().min(1).optional() }),
};

type FaultFields = { kind: Fault['kind']; direction?: 'in' | 'out' | 'both'; rate?: number; delay?: number; drift?: number };

function faultProblems(raw: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const needs = (key: string, expected: string): void => {
    if (raw[key] === undefined) problems.push({ path: [], message: `a ${String(raw.kind)} fault needs "${key}"`, expected });
  };
  const refuses = (key: string, why: string): void => {
    if (raw[key] !== undefined) problems.push({ path: [key], at: 'key', message: `"${key}" ${why}`, expected: 'keys that apply to this fault kind' });
  };
  if (raw.kind === 'delay') needs('delay', 'delay: <duration>, how long each frame is held');
  else refuses('delay', 'applies only to kind: delay');
  if (raw.kind === 'clock-drift') {
    needs('drift', 'drift: <signed duration>, such as +5m');
    refuses('direction', 'does not apply to clock-drift');
    refuses('rate', 'does not apply to clock-drift');
  } else {
    refuses('drift', 'applies only to kind: clock-drift');
  }
  return problems;
}

function toFault(fields: FaultFields): Fault {
  if (fields.kind === 'clock-drift') return { kind: 'clock-drift', drift: fields.drift ?? 0 };
  const direction = fields.direction ?? 'both';
  const rate = fields.rate ?? 1;
  if (fields.kind === 'delay') return { kind: 'delay', direction, rate, delay: fields.delay ?? 0 };
  return { kind: fields.kind, direction, rate };
}

const ACTION_EXPECTED = `a mapping with device and action (${HAN_ACTIONS.join(', ')})`;

/** `han: { device: ppmid, action: enter-utrn, utrn: "${utrn}" }` and the other HAN actions. */
export const hanActionSchema: z.ZodType<HanAction, unknown> = z.unknown().transform((raw, ctx) => {
  if (!isRecord(raw)) {
    reject(ctx, 'expected a HAN action', ACTION_EXPECTED);
    return z.NEVER;
  }
  const name = HAN_ACTIONS.find((known) => known === raw.action);
  if (name === undefined) {
    const suggestion = typeof raw.action === 'string' ? didYouMean(raw.action, HAN_ACTIONS) : undefined;
    const message = raw.action === undefined ? 'missing "action"' : `unknown HAN action${suggestion ? `; did you mean "${suggestion}"?` : ''}`;
    reject(ctx, message, `one of ${HAN_ACTIONS.join(', ')}`, raw.action === undefined ? [] : ['action']);
    return z.NEVER;
  }
  const problems: Problem[] = name === 'fault' ? faultProblems(raw) : [];
  const allowed = ACTION_DEVICES[name];
  if (allowed !== 'any' && typeof raw.device === 'string' && !allowed.includes(raw.device as Role)) {
    problems.push({ path: ['device'], message: `${name} does not apply to ${raw.device}`, expected: `one of ${allowed.join(', ')}` });
  }
  const parsed = parseWith(ctx, ACTION_SCHEMAS[name], raw, problems);
  return parsed.ok ? toHanAction(name, parsed.value as Record<string, unknown>) : z.NEVER;
});

function toHanAction(name: HanActionName, fields: Record<string, unknown>): HanAction {
  const device = fields.device as Role;
  switch (name) {
    case 'enter-utrn':
      return { action: name, device, utrn: fields.utrn as Extract<HanAction, { action: 'enter-utrn' }>['utrn'] };
    case 'fault':
      return { action: name, device, fault: toFault(fields as unknown as FaultFields) };
    case 'fault-clear':
      return fields.kind === undefined ? { action: name, device } : { action: name, device, kind: fields.kind as Fault['kind'] };
    case 'replace-hub':
      return {
        action: name,
        device: 'chf',
        ...(fields.model === undefined ? {} : { model: fields.model as string }),
        ...(fields.firmware === undefined ? {} : { firmware: fields.firmware as string }),
      };
    default:
      return { action: name, device };
  }
}
