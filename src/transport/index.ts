export {
  type Envelope,
  type EnvelopeMeta,
  type Protocol,
  ENVELOPE_WIRE_VERSION,
  encodeEnvelope,
  decodeEnvelope,
  validateEnvelope,
  envelopeIds,
  isValidName,
} from './envelope.ts';
export {
  TransportError,
  EnvelopeError,
  BrokerUnavailableError,
  BrokerAuthError,
  LinkClosedError,
  NoRouteError,
  AddressInUseError,
  HandlerError,
} from './errors.ts';
export type { Bus, Endpoint, EnvelopeHandler, OutgoingEnvelope, WaitOptions, FrameEvent, FrameListener, ErrorListener, Unsubscribe } from './bus.ts';
export { InMemoryBus, type InMemoryBusOptions } from './in-memory-bus.ts';
export { MqttBus, type MqttBusOptions, type ConnectionState } from './mqtt-bus.ts';
export { startEmbeddedBroker, type EmbeddedBroker, type EmbeddedBrokerOptions, type BrokerCredentials } from './embedded-broker.ts';
export { TOPIC_ROOT, envelopeTopic, inboxFilter, parseTopic, type ParsedTopic } from './mqtt-topics.ts';
