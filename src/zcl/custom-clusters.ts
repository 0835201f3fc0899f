/** The Smart Energy clusters zigbee-herdsman does not define, in its custom-cluster format. */
import type { CustomClusters } from 'zigbee-herdsman/dist/zspec/zcl/definition/tstype.js';
import { keyEstablishmentCluster } from './key-establishment-cluster.ts';
import { messagingCluster } from './messaging-cluster.ts';
import { prepaymentCluster } from './prepayment-cluster.ts';
import { priceCluster } from './price-cluster.ts';

export const customClusters: CustomClusters = {
  [priceCluster.name]: priceCluster,
  [messagingCluster.name]: messagingCluster,
  [prepaymentCluster.name]: prepaymentCluster,
  [keyEstablishmentCluster.name]: keyEstablishmentCluster,
};
