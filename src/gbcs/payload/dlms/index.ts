/** DLMS/COSEM payloads of GBCS: codec, typed data model, generic and use-case builders. */
export { dlmsCodec, type DlmsTree } from './codec.ts';
export { decodeApdu, encodeApdu, APDU_TAGS } from './apdu.ts';
export type { AccessRequest, AccessResponse, DataNotification, DlmsApdu, RequestSpec, ResponseSpec, AttributeDescriptor, MethodDescriptor, SelectiveAccess } from './apdu.ts';
export { decodeData, encodeData, DATA_TAGS, MAX_DEPTH, type DlmsData, type DlmsDataType, type TypeDescription } from './data.ts';
export { dataFields } from './data-fields.ts';
export { formatObis, parseObis, isObis, type Obis } from './obis.ts';
export { className, attributeName, methodName, objectName } from './cosem-names.ts';
export { resultName, RESULT } from './results.ts';
export { alertName, ALERT_CODES, MESSAGE_CODES } from './alerts.ts';
export { cosemDateTime, describeDateTime, COSEM_DATE_TIME_NOW, COSEM_DATE_TIME_NEVER } from './cosem-time.ts';
export * from './values.ts';
export * from './builders.ts';
export * from './use-cases.ts';
