/**
 * Messaging cluster (0x0703), ZigBee Smart Energy 1.4 annex D.5. Server = the ESI, which pushes text messages to
 * clients (the IHD); clients confirm them. It has no attributes.
 */
import { Zcl } from 'zigbee-herdsman';
import type { Cluster } from 'zigbee-herdsman/dist/zspec/zcl/definition/tstype.js';
import { commandTable, field, optionalField } from './cluster-builder.ts';

const { DataType } = Zcl;

const displayMessage = [
  field('messageId', DataType.UINT32),
  field('messageControl', DataType.BITMAP8),
  field('startTime', DataType.UTC),
  field('durationInMinutes', DataType.UINT16),
  field('message', DataType.CHAR_STR),
  optionalField('extendedMessageControl', DataType.BITMAP8, 1),
];

/** Client → server. */
const commands = commandTable([
  [0x00, 'getLastMessage', []],
  [
    0x01,
    'messageConfirmation',
    [
      field('messageId', DataType.UINT32),
      field('confirmationTime', DataType.UTC),
      optionalField('messageConfirmationControl', DataType.BITMAP8, 1),
      optionalField('messageConfirmationResponse', DataType.OCTET_STR, 1),
    ],
  ],
  [0x02, 'getMessageCancellation', [field('earliestImplementationTime', DataType.UTC)]],
]);

/** Server → client. */
const commandsResponse = commandTable([
  [0x00, 'displayMessage', displayMessage],
  [0x01, 'cancelMessage', [field('messageId', DataType.UINT32), field('messageControl', DataType.BITMAP8)]],
  [0x02, 'displayProtectedMessage', displayMessage],
  [0x03, 'cancelAllMessages', [field('implementationDateTime', DataType.UTC)]],
]);

export const messagingCluster: Cluster = { ID: 0x0703, name: 'seMessaging', attributes: {}, commands, commandsResponse };
