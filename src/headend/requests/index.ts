import { CHF_SERVICE_REQUESTS } from './chf.ts';
import { ESME_SERVICE_REQUESTS } from './esme.ts';
import { FIRMWARE_SERVICE_REQUESTS } from './firmware.ts';
import { GSME_SERVICE_REQUESTS } from './gsme.ts';
import { ServiceRequestRegistry } from './registry.ts';

export { ServiceRequestRegistry } from './registry.ts';
export type { DeviceRole, RequestContext, RequestOutcome, RequestParams, ServiceRequestDefinition } from './types.ts';

/** Every service request the head-end can send, for every device type. */
export function defaultServiceRequests(): ServiceRequestRegistry {
  return new ServiceRequestRegistry().add(...CHF_SERVICE_REQUESTS, ...ESME_SERVICE_REQUESTS, ...GSME_SERVICE_REQUESTS, ...FIRMWARE_SERVICE_REQUESTS);
}
