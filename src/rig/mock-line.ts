/**
 * A pretend serial cable for tests and CI: the host opens `path` through `binding` exactly as it would a
 * real port (SerialPortStream over serialport's MockBinding), and whatever stands at `farEnd` (the adapter
 * emulator, or a test writing garbage) sees the host's writes and writes back. The cable can be pulled out
 * and plugged back in, and the line can stall.
 */
import { SerialPortMock } from 'serialport';
import type { ByteLink } from './byte-link.ts';
import type { SerialBinding } from './serial-line.ts';

const MockBinding = SerialPortMock.binding;
// The @serialport packages' own type entry points do not resolve under NodeNext, so their types are taken from what uses them.
type MockPortBinding = Awaited<ReturnType<typeof MockBinding.open>>;
type PortBinding = Awaited<ReturnType<SerialBinding['open']>>;
type OpenOptions = Parameters<SerialBinding['open']>[0];
let lineCount = 0;

export class MockRigLine {
  readonly path: string;
  readonly binding: SerialBinding;
  readonly farEnd: ByteLink;
  private readonly farListeners = new Set<(chunk: Uint8Array) => void>();
  private current: LinePort | undefined;
  private plugged = true;
  private stalled = false;

  constructor(path = `/dev/hanlab-mock-rig-${++lineCount}`) {
    this.path = path;
    MockBinding.createPort(path, { echo: false, record: false });
    this.binding = {
      list: () => MockBinding.list(),
      open: async (options: OpenOptions) => {
        if (!this.plugged) throw new Error(`Error: No such file or directory, cannot open ${options.path}`);
        const port = new LinePort(await MockBinding.open(options), this);
        this.current = port;
        return port;
      },
    };
    this.farEnd = {
      write: async (bytes) => {
        const port = this.current;
        if (port?.receiving) port.inner.emitData(Buffer.from(bytes));
      },
      onData: (listener) => {
        this.farListeners.add(listener);
        return () => this.farListeners.delete(listener);
      },
    };
  }

  /** The cable comes out: the host's pending reads and writes fail as a real driver's do, and it cannot reopen until plugIn(). */
  unplug(): void {
    this.plugged = false;
    this.current?.die(new Error('Error: Input/output error (device unplugged)'));
  }

  plugIn(): void {
    this.plugged = true;
  }

  /** While stalled, the host's writes never complete (flow control held off, a wedged USB bridge). */
  stallWrites(stalled = true): void {
    this.stalled = stalled;
  }

  /** @internal */
  get writesStalled(): boolean {
    return this.stalled;
  }

  /** @internal Host bytes arriving at the far end. */
  deliverToFarEnd(bytes: Uint8Array): void {
    const copy = new Uint8Array(bytes);
    process.nextTick(() => {
      for (const listener of this.farListeners) listener(copy);
    });
  }
}

/** MockBinding's port, with a cable that can be pulled and writes that reach the far end. */
class LinePort implements PortBinding {
  private dead = false;
  private closedByHost = false;
  private readonly death: Promise<never>;
  private killWith: (error: Error) => void = () => undefined;

  constructor(
    readonly inner: MockPortBinding,
    private readonly line: MockRigLine,
  ) {
    this.death = new Promise<never>((_resolve, reject) => {
      this.killWith = reject;
    });
    this.death.catch(() => undefined);
  }

  get openOptions(): Required<OpenOptions> {
    return this.inner.openOptions;
  }

  /** Until the host closes it: a driver reports an unplugged port open until told to close, and the stream relies on that. */
  get isOpen(): boolean {
    return !this.closedByHost;
  }

  get receiving(): boolean {
    return this.inner.isOpen && !this.dead;
  }

  die(error: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.killWith(error);
    if (this.inner.isOpen) void this.inner.close();
  }

  async close(): Promise<void> {
    if (this.closedByHost) throw new Error('Port is not open');
    this.closedByHost = true;
    if (this.inner.isOpen) await this.inner.close();
  }

  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    return Promise.race([this.inner.read(buffer, offset, length), this.death]);
  }

  async write(buffer: Buffer): Promise<void> {
    if (this.line.writesStalled) await this.death;
    await Promise.race([this.inner.write(buffer), this.death]);
    this.line.deliverToFarEnd(buffer);
  }

  update(options: Parameters<PortBinding['update']>[0]): Promise<void> {
    return this.inner.update(options);
  }

  set(options: Parameters<PortBinding['set']>[0]): Promise<void> {
    return this.inner.set(options);
  }

  get(): ReturnType<PortBinding['get']> {
    return this.inner.get();
  }

  getBaudRate(): Promise<{ baudRate: number }> {
    return this.inner.getBaudRate();
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  drain(): Promise<void> {
    return Promise.race([this.inner.drain(), this.death]);
  }
}
