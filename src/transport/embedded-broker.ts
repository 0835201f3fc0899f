import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AedesOptions, type AuthenticateError } from 'aedes';

export interface BrokerCredentials {
  readonly username: string;
  readonly password: string;
}

export interface EmbeddedBrokerOptions {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** When given, clients must present exactly these; others are refused with "bad username or password". */
  readonly credentials?: BrokerCredentials;
}

export interface EmbeddedBroker {
  /** `mqtt://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Drops every client connection at once, then stops listening. Safe to call twice. */
  close(): Promise<void>;
}

const BAD_USERNAME_OR_PASSWORD = 4;

function sameSecret(given: string | Buffer | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function brokerOptions(credentials: BrokerCredentials | undefined): AedesOptions {
  if (credentials === undefined) return {};
  return {
    authenticate: (_client, username, password, done) => {
      if (sameSecret(username, credentials.username) && sameSecret(password, credentials.password)) {
        done(null, true);
        return;
      }
      const refusal = Object.assign(new Error('bad username or password'), { returnCode: BAD_USERNAME_OR_PASSWORD }) as AuthenticateError;
      done(refusal, null);
    },
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('broker socket has no TCP port'));
      else resolve(address.port);
    });
  });
}

/** An aedes MQTT broker inside this process, on 127.0.0.1: for tests and single-machine runs. */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker(brokerOptions(options.credentials));
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    // A client resetting its connection is its own business, not a reason to crash the broker's process.
    socket.on('error', () => undefined);
    aedes.handle(socket);
  });
  const stopAedes = (): Promise<void> => new Promise((resolve) => aedes.close(() => resolve()));
  let port: number;
  try {
    port = await listen(server, options.port ?? 0);
  } catch (error) {
    await stopAedes();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    close: () => {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await stopAedes();
        await stopped;
      })();
      return closing;
    },
  };
}
