import type { Clock } from '../../time/clock.ts';
import type { OfferedImage } from './types.ts';

/** How far a download is, with rate and ETA in clock time (so a VirtualClock gives modelled figures). */
export interface TransferProgress {
  image: OfferedImage;
  bytes: number;
  total: number;
  /** 0..100; an empty image is 100 % done. */
  percent: number;
  /** Bytes per second since this download started or resumed; undefined until clock time has passed. */
  rateBytesPerSecond: number | undefined;
  /** Clock ms left at that rate; undefined while the rate is. */
  etaMs: number | undefined;
}

/** Measures one run of a download: from when it started or resumed (after a power cut) to now. */
export class ProgressMeter {
  private readonly startedAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly image: OfferedImage,
    private readonly startBytes: number,
  ) {
    this.startedAt = clock.now();
  }

  measure(bytes: number): TransferProgress {
    const total = this.image.imageSize;
    const elapsedMs = this.clock.now() - this.startedAt;
    const moved = bytes - this.startBytes;
    const rate = elapsedMs > 0 && moved > 0 ? (moved * 1000) / elapsedMs : undefined;
    return {
      image: { ...this.image },
      bytes,
      total,
      percent: total === 0 ? 100 : (bytes * 100) / total,
      rateBytesPerSecond: rate,
      etaMs: rate === undefined ? undefined : ((total - bytes) * 1000) / rate,
    };
  }
}
