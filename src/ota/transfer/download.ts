/**
 * What an OTA client keeps in flash: the version it runs and the download in progress. Blocks are accepted only
 * in order, so a download is fully described by the image and the bytes received so far; the next offset is
 * their length. The store is plain data, safe to copy, serialise and hand to a new client after a power cut.
 */
import { OtaImageError } from '../errors.ts';
import { OTA_MAGIC, readOtaHeader } from '../header.ts';
import { readU32 } from '../le.ts';
import { checkUint, describeImage, imageIdOf, sameImage, type ImageId, type OfferedImage } from './types.ts';

export interface StoredDownload {
  image: OfferedImage;
  /** The image's first bytes, as received. */
  bytes: Uint8Array;
}

export interface OtaClientStore {
  installed: ImageId;
  download?: StoredDownload;
}

/** A store that cannot be what a client saved: refused when a client is built from it. */
export class OtaStoreError extends Error {
  override readonly name = 'OtaStoreError';
}

function checkImageId(id: ImageId, what: string): void {
  try {
    checkUint(id.manufacturerCode, 16, `${what} manufacturerCode`);
    checkUint(id.imageType, 16, `${what} imageType`);
    checkUint(id.fileVersion, 32, `${what} fileVersion`);
  } catch (error) {
    throw new OtaStoreError((error as Error).message);
  }
}

export function copyStore(store: OtaClientStore): OtaClientStore {
  const installed = imageIdOf(store.installed);
  if (store.download === undefined) return { installed };
  const { image, bytes } = store.download;
  return { installed, download: { image: { ...imageIdOf(image), imageSize: image.imageSize }, bytes: new Uint8Array(bytes) } };
}

/** A download being received: the image, a buffer of its full size, and how much of it is filled. */
export class Download {
  private constructor(
    readonly image: OfferedImage,
    private readonly buffer: Uint8Array,
    private filled: number,
  ) {}

  static start(image: OfferedImage): Download {
    return new Download({ ...imageIdOf(image), imageSize: image.imageSize }, new Uint8Array(image.imageSize), 0);
  }

  static restore(stored: StoredDownload, maxImageSize: number): Download {
    checkImageId(stored.image, 'stored download');
    const { imageSize } = stored.image;
    if (!Number.isInteger(imageSize) || imageSize < 0 || imageSize > maxImageSize) {
      throw new OtaStoreError(`stored download of ${describeImage(stored.image)} has size ${imageSize}, outside 0..${maxImageSize}`);
    }
    if (stored.bytes.length > imageSize) {
      throw new OtaStoreError(`stored download of ${describeImage(stored.image)} holds ${stored.bytes.length} bytes of a ${imageSize}-byte image`);
    }
    const download = Download.start(stored.image);
    download.buffer.set(stored.bytes);
    download.filled = stored.bytes.length;
    return download;
  }

  get offset(): number {
    return this.filled;
  }

  get complete(): boolean {
    return this.filled === this.image.imageSize;
  }

  /** The whole image; only meaningful once complete. */
  get bytes(): Uint8Array {
    return this.buffer.subarray(0, this.filled);
  }

  /** Takes the block that starts at the current offset; refuses one that would run past the image. */
  append(data: Uint8Array): boolean {
    if (data.length === 0 || this.filled + data.length > this.image.imageSize) return false;
    this.buffer.set(data, this.filled);
    this.filled += data.length;
    return true;
  }

  stored(): StoredDownload {
    return { image: { ...this.image }, bytes: this.buffer.slice(0, this.filled) };
  }

  /**
   * Why the received image does not have the size it was offered with, if it does not: the byte count, and, for a
   * file that starts like an OTA file, the total size and identity its own header declares.
   */
  sizeProblem(): string | undefined {
    const { imageSize } = this.image;
    if (this.filled !== imageSize) return `received ${this.filled} bytes of a ${imageSize}-byte image`;
    if (imageSize < 4 || readU32(this.buffer, 0) !== OTA_MAGIC) return undefined;
    try {
      const { header, totalImageSize } = readOtaHeader(this.buffer);
      if (totalImageSize !== imageSize) return `the file's header declares ${totalImageSize} bytes; ${imageSize} were offered`;
      const declared = imageIdOf(header);
      if (!sameImage(declared, this.image)) return `the file's header names ${describeImage(declared)}, not the offered ${describeImage(this.image)}`;
      return undefined;
    } catch (error) {
      if (error instanceof OtaImageError) return `the file's OTA header is unreadable: ${error.message}`;
      throw error;
    }
  }
}

export function checkStore(store: OtaClientStore): void {
  checkImageId(store.installed, 'installed image');
}
