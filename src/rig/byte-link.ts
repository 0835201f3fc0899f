import type { Duplex } from 'node:stream';

/** One end of a byte pipe: what a rig adapter (or its emulator) sees of the serial line. */
export interface ByteLink {
  /** Resolves once the bytes are on their way; bytes written while nobody listens at the far end are lost, as on a wire. */
  write(bytes: Uint8Array): Promise<void>;
  onData(listener: (chunk: Uint8Array) => void): () => void;
}

/** A ByteLink over an open stream, e.g. a serial port the emulator answers on in place of adapter firmware. */
export function byteLinkOverStream(stream: Duplex): ByteLink {
  // A stream without an error listener would crash the process on the first write error.
  stream.on('error', () => undefined);
  return {
    write: (bytes) =>
      new Promise((resolve, reject) => {
        stream.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (error) => (error == null ? resolve() : reject(error)));
      }),
    onData: (listener) => {
      const onData = (chunk: Buffer): void => listener(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      stream.on('data', onData);
      return () => stream.off('data', onData);
    },
  };
}
