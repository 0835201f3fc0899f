/**
 * Rig files: where each device role lives. A role is simulated, or bound to a real device behind a serial
 * port or an MQTT broker; the runner cannot tell which. `rigs/sim.yaml` (every role simulated) is the default.
 */
import { z } from 'zod';
import { readTextFile } from './loader.ts';
import { ROLES, type Role } from './roles.ts';
import { validateYamlText, type SourceError, type SourceLocation } from './yaml-source.ts';
import { closedObject, isRecord, kebabId, parseWith, reject, withoutUndefined, type Problem } from './zod-kit.ts';

export const DEFAULT_RIG_PATH = 'rigs/sim.yaml';

export interface MqttEndpoint {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** The password is read from this environment variable, keeping it out of the file. */
  readonly passwordEnv?: string;
}

export interface SerialEndpoint {
  readonly path: string;
  readonly baud: number;
  /** The address (EUI) of this role's device among those the rig adapter hosts; needed when it hosts several. */
  readonly device?: string;
}

export type RoleBinding = { readonly kind: 'simulated' } | { readonly kind: 'serial'; readonly serial: SerialEndpoint } | { readonly kind: 'mqtt'; readonly mqtt: MqttEndpoint };

/** The link the harness and simulated devices share: in-memory, an MQTT broker hanlab starts, or an external one. */
export type BusSpec = { readonly kind: 'in-memory' } | { readonly kind: 'embedded-mqtt' } | { readonly kind: 'mqtt'; readonly mqtt: MqttEndpoint };

export type ClockKind = 'virtual' | 'real';

export interface Rig {
  readonly id: string;
  readonly description: string;
  readonly bus: BusSpec;
  /** Virtual when every role is simulated (unless the file says real); real as soon as one is not. */
  readonly clock: ClockKind;
  /** Every role; those the file does not list are simulated. */
  readonly roles: Readonly<Record<Role, RoleBinding>>;
  readonly location: SourceLocation;
}

const MQTT_URL = /^(mqtts?|wss?):\/\/[^\s/:]+(:\d{1,5})?(\/\S*)?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const mqttEndpoint = closedObject({
  url: z.string().regex(MQTT_URL, { error: 'not a broker URL (mqtt://, mqtts://, ws:// or wss:// with a host)' }),
  username: z.string().min(1).optional(),
  password: z.string().optional(),
  passwordEnv: z.string().regex(ENV_NAME, { error: 'not an environment variable name' }).optional(),
});

const DEVICE_ADDRESS = /^[A-Za-z0-9._:~-]{1,128}$/;

/** An EUI such as 0011223344556677 is a number to YAML unless quoted, and too long a one to survive as a number. */
const deviceAddress: z.ZodType<string, unknown> = z.unknown().transform((raw, ctx) => {
  if (typeof raw === 'string' && DEVICE_ADDRESS.test(raw)) return raw;
  if (typeof raw === 'number') reject(ctx, 'YAML read this device address as a number; quote it', 'quoted text such as "0011223344556677"');
  else reject(ctx, 'not a device address', '1-128 of A-Z a-z 0-9 . _ : ~ -');
  return z.NEVER;
});

const serialEndpoint = closedObject({
  path: z.string().min(1),
  baud: z.int().positive(),
  device: deviceAddress.optional(),
});

function mqttProblems(raw: unknown, prefix: PropertyKey[]): Problem[] {
  return isRecord(raw) && raw.password !== undefined && raw.passwordEnv !== undefined
    ? [{ path: [...prefix, 'passwordEnv'], at: 'key', message: 'give password or passwordEnv, not both', expected: 'one way to find the password' }]
    : [];
}

const BINDING_EXPECTED = 'simulated, { serial: { path, baud, device? } } or { mqtt: { url, username, password } }';

const roleBinding: z.ZodType<RoleBinding, unknown> = z.unknown().transform((raw, ctx) => {
  if (raw === 'simulated' || raw === null) return { kind: 'simulated' } as const;
  const kind = isRecord(raw) ? (['serial', 'mqtt'] as const).find((key) => key in raw) : undefined;
  if (!isRecord(raw) || kind === undefined) {
    reject(ctx, 'not a role binding', BINDING_EXPECTED);
    return z.NEVER;
  }
  if (kind === 'serial') {
    const parsed = parseWith(ctx, closedObject({ serial: serialEndpoint }), raw);
    return parsed.ok ? ({ kind, serial: withoutUndefined(parsed.value.serial) } as const) : z.NEVER;
  }
  const parsed = parseWith(ctx, closedObject({ mqtt: mqttEndpoint }), raw, mqttProblems(raw.mqtt, ['mqtt']));
  return parsed.ok ? ({ kind, mqtt: withoutUndefined(parsed.value.mqtt) } as const) : z.NEVER;
});

const BUS_EXPECTED = 'in-memory, embedded-mqtt, or { mqtt: { url, username, password } }';

const busField: z.ZodType<BusSpec, unknown> = z.unknown().transform((raw, ctx) => {
  if (raw === 'in-memory' || raw === 'embedded-mqtt') return { kind: raw };
  if (!isRecord(raw) || !('mqtt' in raw)) {
    reject(ctx, 'not a bus', BUS_EXPECTED);
    return z.NEVER;
  }
  const parsed = parseWith(ctx, closedObject({ mqtt: mqttEndpoint }), raw, mqttProblems(raw.mqtt, ['mqtt']));
  return parsed.ok ? { kind: 'mqtt', mqtt: withoutUndefined(parsed.value.mqtt) } : z.NEVER;
});

const rigSchema = closedObject({
  id: kebabId('a rig id'),
  description: z.string().optional(),
  bus: busField.optional(),
  clock: z.enum(['virtual', 'real']).optional(),
  roles: closedObject(Object.fromEntries(ROLES.map((role) => [role, roleBinding.optional()])) as Record<Role, z.ZodOptional<typeof roleBinding>>).optional(),
});

export type RigParse = { ok: true; rig: Rig } | { ok: false; errors: SourceError[] };

export function parseRig(text: string, path: string): RigParse {
  const validated = validateYamlText(text, path, rigSchema, new Set(['id', 'path']));
  if (!validated.ok) return validated;
  const { value, source } = validated;
  const roles = Object.fromEntries(ROLES.map((role) => [role, value.roles?.[role] ?? { kind: 'simulated' }])) as Record<Role, RoleBinding>;
  const realRoles = ROLES.filter((role) => roles[role].kind !== 'simulated');
  if (value.clock === 'virtual' && realRoles.length > 0) {
    const errors = source.errorsFor([
      { path: ['clock'], message: `real devices (${realRoles.join(', ')}) keep real time; a rig with them cannot run on a virtual clock`, expected: 'real, or simulate every role' },
    ]);
    return { ok: false, errors };
  }
  return {
    ok: true,
    rig: {
      id: value.id,
      description: value.description ?? '',
      bus: value.bus ?? { kind: 'in-memory' },
      clock: value.clock ?? (realRoles.length > 0 ? 'real' : 'virtual'),
      roles,
      location: source.locate(['id']),
    },
  };
}

export async function loadRigFile(path: string = DEFAULT_RIG_PATH): Promise<RigParse> {
  const text = await readTextFile(path);
  return typeof text === 'string' ? parseRig(text, path) : { ok: false, errors: [text] };
}

/** The endpoint's password: written in the file, or read from its environment variable. */
export function mqttPassword(endpoint: MqttEndpoint, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return endpoint.passwordEnv !== undefined ? env[endpoint.passwordEnv] : endpoint.password;
}
