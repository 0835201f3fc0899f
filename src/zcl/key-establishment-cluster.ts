/**
 * Key Establishment cluster (0x0800), ZigBee Smart Energy 1.4 annex C (CBKE). The certificate, ephemeral key and
 * MAC fields have a length fixed by the crypto suite (suite 1: 48-byte certificate, 22-byte ephemeral key; suite 2:
 * 74 and 37; 16-byte MACs), so they are carried as the rest of the frame.
 * The client side also has a KeyEstablishmentSuite attribute at 0x0000; only the server one is defined here.
 */
import { Zcl } from 'zigbee-herdsman';
import type { Cluster } from 'zigbee-herdsman/dist/zspec/zcl/definition/tstype.js';
import { attributeTable, commandTable, field, restOfFrame } from './cluster-builder.ts';

const { DataType } = Zcl;

const initiate = [
  field('keyEstablishmentSuite', DataType.BITMAP16),
  field('ephemeralDataGenerateTime', DataType.UINT8),
  field('confirmKeyGenerateTime', DataType.UINT8),
  restOfFrame('identity'),
];

const terminate = [
  field('statusCode', DataType.ENUM8),
  field('waitTime', DataType.UINT8),
  field('keyEstablishmentSuite', DataType.BITMAP16),
];

/** Client (initiator) → server (responder). */
const commands = commandTable([
  [0x00, 'initiateKeyEstablishmentRequest', initiate],
  [0x01, 'ephemeralDataRequest', [restOfFrame('ephemeralData')]],
  [0x02, 'confirmKeyDataRequest', [restOfFrame('secureMessageAuthenticationCode')]],
  [0x03, 'terminateKeyEstablishment', terminate],
]);

/** Server (responder) → client (initiator). */
const commandsResponse = commandTable([
  [0x00, 'initiateKeyEstablishmentResponse', initiate],
  [0x01, 'ephemeralDataResponse', [restOfFrame('ephemeralData')]],
  [0x02, 'confirmKeyDataResponse', [restOfFrame('secureMessageAuthenticationCode')]],
  [0x03, 'terminateKeyEstablishment', terminate],
]);

export const keyEstablishmentCluster: Cluster = {
  ID: 0x0800,
  name: 'seKeyEstablishment',
  attributes: attributeTable([[0x0000, 'keyEstablishmentSuite', DataType.ENUM16]]),
  commands,
  commandsResponse,
};
