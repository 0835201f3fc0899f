/**
 * From a rig file to what the runner drives: a clock, and for each role whether its device is simulated
 * or real and on which Bus. A rig with real devices is locked for the run (src/rig/lock.ts).
 */
import type { Role } from '../scenario/roles.ts';
import { mqttPassword, type MqttEndpoint, type Rig, type SerialEndpoint } from '../scenario/rig.ts';
import type { Clock } from '../time/clock.ts';
import { RealClock } from '../time/real-clock.ts';
import { VirtualClock } from '../time/virtual-clock.ts';
import type { Bus } from '../transport/bus.ts';
import { startEmbeddedBroker } from '../transport/embedded-broker.ts';
import { InMemoryBus } from '../transport/in-memory-bus.ts';
import { MqttBus } from '../transport/mqtt-bus.ts';
import { RigLock } from './lock.ts';
import { SerialBus } from './serial-bus.ts';
import type { SerialBinding } from './serial-line.ts';

export interface BindRigOptions {
  readonly rig: Rig;
  /** Keeps MQTT topics of runs sharing a broker apart. */
  readonly runId: string;
  /** The clock of a virtual-time rig, which the runner drives; a new VirtualClock unless given. Real rigs get a RealClock. */
  readonly virtualClock?: Clock;
  readonly lockDirectory?: string;
  readonly lockOwner?: string;
  /** How serial ports are opened: the operating system's driver unless given (tests pass a MockRigLine's binding). */
  readonly serialBinding?: SerialBinding;
  readonly helloTimeoutMs?: number;
  /** Where `passwordEnv` passwords are looked up. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

export type BoundRole =
  | { readonly role: Role; readonly kind: 'simulated'; readonly bus: Bus }
  /** `device` is the address of this role's device behind the adapter: send to it, attach your own side on `bus`. */
  | { readonly role: Role; readonly kind: 'serial'; readonly bus: SerialBus; readonly device: string }
  | { readonly role: Role; readonly kind: 'mqtt'; readonly bus: MqttBus };

export interface BoundRig {
  readonly rig: Rig;
  readonly clock: Clock;
  /** The rig's own bus, where simulated devices live. */
  readonly simulation: Bus;
  readonly roles: Readonly<Record<Role, BoundRole>>;
  /** Held while bound when any role is real. */
  readonly lock: RigLock | undefined;
  /** Closes every bus, then releases the lock. */
  close(): Promise<void>;
}

/** Binding failed; names the rig file and, when one is to blame, the role. `cause` holds the underlying error. */
export class RigBindingError extends Error {
  override readonly name = 'RigBindingError';
  constructor(
    readonly rigFile: string,
    readonly role: Role | undefined,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${rigFile}: ${role === undefined ? '' : `role ${role}: `}${detail}`, options);
  }
}

/** Opens what the rig file describes; on any failure closes what was opened, releases the lock and throws RigBindingError. */
export async function bindRig(options: BindRigOptions): Promise<BoundRig> {
  const { rig } = options;
  const file = rig.location.file;
  const entries = Object.entries(rig.roles) as [Role, Rig['roles'][Role]][];
  const clock = rig.clock === 'real' ? new RealClock() : (options.virtualClock ?? new VirtualClock());
  const closers: Array<() => Promise<unknown>> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    closers.length = 0;
  };

  let lock: RigLock | undefined;
  if (entries.some(([, binding]) => binding.kind !== 'simulated')) {
    try {
      lock = await RigLock.acquire({ rig: rig.id, directory: options.lockDirectory, owner: options.lockOwner });
    } catch (error) {
      throw new RigBindingError(file, undefined, `cannot lock the rig: ${messageOf(error)}`, { cause: error });
    }
    const held = lock;
    closers.push(() => held.release());
  }

  try {
    const simulation = await openSimulationBus(options, clock, closers);
    const serial = new SerialBuses(options, clock, closers);
    const mqtt = new MqttBuses(options, clock, closers);
    const roles = {} as Record<Role, BoundRole>;
    for (const [role, binding] of entries) {
      if (binding.kind === 'simulated') roles[role] = { role, kind: 'simulated', bus: simulation };
      else if (binding.kind === 'serial') roles[role] = await serial.bind(role, binding.serial);
      else roles[role] = { role, kind: 'mqtt', bus: await mqtt.bind(role, binding.mqtt) };
    }
    checkDistinctDevices(file, roles);
    let closing: Promise<void> | undefined;
    return { rig, clock, simulation, roles, lock, close: () => (closing ??= closeAll()) };
  } catch (error) {
    await closeAll();
    throw error instanceof RigBindingError ? error : new RigBindingError(file, undefined, messageOf(error), { cause: error });
  }
}

async function openSimulationBus(options: BindRigOptions, clock: Clock, closers: Array<() => Promise<unknown>>): Promise<Bus> {
  const spec = options.rig.bus;
  if (spec.kind === 'in-memory') {
    const bus = new InMemoryBus({ clock });
    closers.push(() => bus.close());
    return bus;
  }
  let url: string;
  let credentials: { username?: string; password?: string } = {};
  if (spec.kind === 'embedded-mqtt') {
    const broker = await startEmbeddedBroker();
    closers.push(() => broker.close());
    url = broker.url;
  } else {
    url = spec.mqtt.url;
    credentials = { username: spec.mqtt.username, password: mqttPassword(spec.mqtt, options.env) };
  }
  try {
    const bus = await MqttBus.connect({ url, runId: options.runId, clock, ...credentials });
    closers.push(() => bus.close());
    return bus;
  } catch (error) {
    throw new RigBindingError(options.rig.location.file, undefined, `bus ${url}: ${messageOf(error)}`, { cause: error });
  }
}

/** One SerialBus per port, shared by the roles whose devices sit behind the same adapter. */
class SerialBuses {
  private readonly byPath = new Map<string, { readonly bus: SerialBus; readonly baud: number; readonly firstRole: Role }>();

  constructor(
    private readonly options: BindRigOptions,
    private readonly clock: Clock,
    private readonly closers: Array<() => Promise<unknown>>,
  ) {}

  async bind(role: Role, endpoint: SerialEndpoint): Promise<BoundRole> {
    const fail = (detail: string, cause?: unknown): RigBindingError =>
      new RigBindingError(this.options.rig.location.file, role, `serial ${endpoint.path}: ${detail}`, cause === undefined ? undefined : { cause });
    let opened = this.byPath.get(endpoint.path);
    if (opened !== undefined && opened.baud !== endpoint.baud) {
      throw fail(`${endpoint.baud} baud, but role ${opened.firstRole} uses the same port at ${opened.baud} baud`);
    }
    if (opened === undefined) {
      let bus: SerialBus;
      try {
        bus = await SerialBus.open({ path: endpoint.path, baud: endpoint.baud, binding: this.options.serialBinding, clock: this.clock, helloTimeoutMs: this.options.helloTimeoutMs });
      } catch (error) {
        throw fail(messageOf(error), error);
      }
      this.closers.push(() => bus.close());
      opened = { bus, baud: endpoint.baud, firstRole: role };
      this.byPath.set(endpoint.path, opened);
    }
    const { devices } = opened.bus.adapter;
    const hosted = devices.length === 0 ? 'no devices' : devices.join(', ');
    if (endpoint.device !== undefined) {
      if (!devices.includes(endpoint.device)) throw fail(`expects device ${endpoint.device}, but the adapter hosts ${hosted}`);
      return { role, kind: 'serial', bus: opened.bus, device: endpoint.device };
    }
    const [only, ...others] = devices;
    if (only === undefined || others.length > 0) throw fail(`the adapter hosts ${hosted}; name this role's device with \`device:\``);
    return { role, kind: 'serial', bus: opened.bus, device: only };
  }
}

/** One MqttBus per broker and user. */
class MqttBuses {
  private readonly byBroker = new Map<string, Promise<MqttBus>>();

  constructor(
    private readonly options: BindRigOptions,
    private readonly clock: Clock,
    private readonly closers: Array<() => Promise<unknown>>,
  ) {}

  async bind(role: Role, endpoint: MqttEndpoint): Promise<MqttBus> {
    const key = `${endpoint.username ?? ''}@${endpoint.url}`;
    let connecting = this.byBroker.get(key);
    if (connecting === undefined) {
      const password = mqttPassword(endpoint, this.options.env);
      connecting = MqttBus.connect({ url: endpoint.url, runId: this.options.runId, clock: this.clock, username: endpoint.username, password });
      this.byBroker.set(key, connecting);
      try {
        const bus = await connecting;
        this.closers.push(() => bus.close());
      } catch (error) {
        throw new RigBindingError(this.options.rig.location.file, role, `MQTT ${endpoint.url}: ${messageOf(error)}`, { cause: error });
      }
    }
    return connecting;
  }
}

function checkDistinctDevices(file: string, roles: Readonly<Record<Role, BoundRole>>): void {
  const seen = new Map<string, Role>();
  for (const bound of Object.values(roles)) {
    if (bound.kind !== 'serial') continue;
    const key = `${bound.bus.path} ${bound.device}`;
    const other = seen.get(key);
    if (other !== undefined) throw new RigBindingError(file, bound.role, `device ${bound.device} on ${bound.bus.path} is already role ${other}'s`);
    seen.set(key, bound.role);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
