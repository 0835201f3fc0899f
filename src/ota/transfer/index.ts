export { type ImageId, type OfferedImage, type FramePort, type Unsubscribe, sameImage, describeImage } from './types.ts';
export { ZIGBEE_EPOCH_MS, UPGRADE_ON_COMMAND, toZigbeeUtc, toZigbeeUtcCeil } from './zigbee-time.ts';
export { MAX_PSDU_BYTES, PHY_HEADER_BYTES, STACK_OVERHEAD_BYTES, MAX_ZCL_BYTES_PER_FRAME, radioFramesFor, airtimeMs, type RadioFrame } from './radio.ts';
export {
  OtaLink,
  LinkReceiverError,
  DEFAULT_LINK_MODEL,
  type LinkModel,
  type LinkOptions,
  type LinkDirection,
  type LinkFrameEvent,
  type LinkStats,
  type FrameFate,
} from './link.ts';
export {
  OtaServer,
  offerNewerOnly,
  servedImageFromFile,
  type ServedImage,
  type ImageQuery,
  type OtaPolicy,
  type UpgradeTiming,
  type ThrottleOptions,
  type OtaServerOptions,
  type OtaServerEvent,
  type AbortCause,
} from './server.ts';
export {
  OtaClient,
  type OtaClientOptions,
  type OtaClientEvent,
  type OtaClientOutcome,
  type OtaFailureReason,
  type ImageVerifier,
  type PageOptions,
  type ClientStep,
  type RequestKind,
} from './client.ts';
export { OtaStoreError, type OtaClientStore, type StoredDownload } from './download.ts';
export { ProgressMeter, type TransferProgress } from './progress.ts';
export {
  createProgressReporter,
  formatProgressLine,
  formatBytes,
  formatRate,
  formatEta,
  type ProgressReporter,
  type ProgressReporterOptions,
  type ProgressOutput,
} from './progress-bar.ts';
