/** Why a file was refused; lets callers (verification, the CLI) tell failures apart without reading prose. */
export type OtaErrorCode =
  | 'truncated'
  | 'bad-magic'
  | 'unsupported-header-version'
  | 'reserved-field-control-bits'
  | 'header-length'
  | 'total-size-below-header'
  | 'total-size-beyond-file'
  | 'element-overrun'
  | 'element-list-end'
  | 'not-gb-header'
  | 'gb-header-length'
  | 'gb-body-too-short'
  | 'gb-force-replace'
  | 'gb-signature-length';

/** Every refusal of an OTA or GB firmware file: where (byte offset from the start of the file) and why. */
export class OtaImageError extends Error {
  override readonly name = 'OtaImageError';
  constructor(
    readonly code: OtaErrorCode,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`at byte ${offset}: ${reason}`);
  }
}

/** Fields that cannot be written as an OTA file (out of range, wrong size). */
export class OtaBuildError extends Error {
  override readonly name = 'OtaBuildError';
}
