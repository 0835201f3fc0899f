export { ZclDecodeError, ZclEncodeError } from './errors.ts';
export { customClusters } from './custom-clusters.ts';
export {
  encodeZcl,
  decodeZcl,
  type DecodedZcl,
  type DecodeOptions,
  type ZclDirection,
  type ZclFrameSpec,
  type ZclFrameType,
  type ZclHeaderFields,
  type ZclPayload,
} from './codec.ts';
export * from './tunnel.ts';
export * from './ota.ts';
export * from './attributes.ts';
