import { ALERT_CODE_NAMES } from './alert-codes.ts';
import { CATALOGUE } from './catalogue-data.ts';
import type { PayloadEncoding } from './payload/types.ts';

/**
 * The GBCS message catalogue: use case ↔ message code(s) ↔ DUIS service request(s) ↔ criticality ↔ payload
 * encoding ↔ target device types ↔ alert codes. The data is built by scripts/build-catalogue.ts from the public
 * GBCS mapping table, the DUIS request matrix and the RTDS, and committed as catalogue-data.ts; nothing here reads
 * files at run time.
 */

export type DeviceType = 'ESME' | 'GSME' | 'CHF' | 'GPF' | 'PPMID' | 'HCALCS' | 'SAPC';

/** A command (answered by a response) or an alert (sent by a device unprompted). */
export type UseCaseKind = 'command' | 'alert';

/** Where a catalogue entry's facts come from. */
export type CatalogueSource = 'gbcs-mapping-table' | 'rtds' | 'curated';

export interface MessageCodeInfo {
  code: number;
  /** For use cases with several codes, the variant this one is (the RTDS folder's suffix, e.g. `SupplierBySupplier`). */
  variant?: string;
  /** The payload encodings the RTDS shows for this code (two for the generic alerts, sent by ESME and GSME alike). */
  encodings: PayloadEncoding[];
  /** Alert codes that alerts with this message code carry in the RTDS. */
  alertCodes: number[];
  /** False for codes known from GBCS but absent from the RTDS: their encodings are the team's routing rule, not observed. */
  seenInRtds: boolean;
}

export interface UseCase {
  /** GBCS use case name, e.g. `CS01a`; for alerts GBCS names by title only, a short label (`GCA`, `FDRA-DLMS`). */
  name: string;
  /** Other labels that name this use case, e.g. RTDS folder labels such as `ECS70Commission`. */
  aliases: string[];
  title: string;
  kind: UseCaseKind;
  /** The mapping table's message type, e.g. `SME.C.C` (critical command), `SME.A.NC` (non-critical alert). */
  messageType?: string;
  /** From the message type; undefined where GBCS decides per service request variant. */
  critical?: boolean;
  /** Carried on the HAN only (PPMID or HCALCS to meter), never through the DCC. */
  hanOnly: boolean;
  /** DUIS service request variants (e.g. `8.7.1`), or a reference where no variant is known. */
  serviceRequests: string[];
  /** Empty for the firmware distributions (CS05a/b/c), which are not GBCS messages with a message code. */
  messages: MessageCodeInfo[];
  targets: DeviceType[];
  /** Message codes of alerts the RTDS shows following this use case (e.g. 0x00CC after a future-dated command). */
  relatedAlerts: number[];
  sources: CatalogueSource[];
}

export interface ServiceRequestRecord {
  variant: string;
  reference: string;
  name: string;
  critical: boolean;
  onDemand: boolean;
  futureDatedResponsePattern: string;
  dccScheduled: boolean;
  /** Handled by the DCC alone, without a message to a device. */
  nonDevice: boolean;
  eligibleRoles: string[];
}

export interface ServiceRequest extends ServiceRequestRecord {
  /** Every variant of the same reference, this one included (e.g. `8.7.1`, `8.7.2`). */
  variants: string[];
  /** Names of the use cases that serve it. */
  useCases: string[];
}

export interface CatalogueData {
  useCases: UseCase[];
  serviceRequests: ServiceRequestRecord[];
}

interface Index {
  byCode: Map<number, UseCase>;
  byName: Map<string, UseCase>;
  infoByCode: Map<number, MessageCodeInfo>;
  serviceRequests: Map<string, ServiceRequest>;
}

let index: Index | undefined;

function buildIndex(data: CatalogueData): Index {
  const byCode = new Map<number, UseCase>();
  const byName = new Map<string, UseCase>();
  const infoByCode = new Map<number, MessageCodeInfo>();
  for (const uc of data.useCases) {
    for (const label of [uc.name, ...uc.aliases]) byName.set(label, uc);
    for (const m of uc.messages) {
      byCode.set(m.code, uc);
      infoByCode.set(m.code, m);
    }
  }
  const serviceRequests = new Map<string, ServiceRequest>();
  for (const row of data.serviceRequests) {
    serviceRequests.set(row.variant, {
      ...row,
      variants: data.serviceRequests.filter((r) => r.reference === row.reference).map((r) => r.variant),
      useCases: data.useCases.filter((uc) => uc.serviceRequests.includes(row.variant)).map((uc) => uc.name),
    });
  }
  return { byCode, byName, infoByCode, serviceRequests };
}

function theIndex(): Index {
  return (index ??= buildIndex(CATALOGUE));
}

export function allUseCases(): readonly UseCase[] {
  return CATALOGUE.useCases;
}

export function useCaseByMessageCode(code: number): UseCase | undefined {
  return theIndex().byCode.get(code);
}

/** By GBCS name (`CS01a`) or alias (`ECS70Commission`, `GCA-DLMS`). */
export function useCaseByName(name: string): UseCase | undefined {
  return theIndex().byName.get(name);
}

export function messageCodeInfo(code: number): MessageCodeInfo | undefined {
  return theIndex().infoByCode.get(code);
}

/**
 * A DUIS service request by variant (`8.7.1`, `2.2`), or by reference when that reference has a single variant
 * (`11.3`). A reference with several variants (`8.7`) is ambiguous: see serviceRequestVariants.
 */
export function serviceRequest(id: string): ServiceRequest | undefined {
  const exact = theIndex().serviceRequests.get(id);
  if (exact) return exact;
  const variants = serviceRequestVariants(id);
  return variants.length === 1 ? variants[0] : undefined;
}

export function serviceRequestVariants(reference: string): ServiceRequest[] {
  return [...theIndex().serviceRequests.values()].filter((sr) => sr.reference === reference);
}

export function allServiceRequests(): ServiceRequest[] {
  return [...theIndex().serviceRequests.values()];
}

/** The GBCS name of an alert code (e.g. 0x8F66), or undefined when the catalogue does not know it. */
export function alertName(code: number): string | undefined {
  return ALERT_CODE_NAMES.get(code);
}

export function formatMessageCode(code: number): string {
  return `0x${code.toString(16).toUpperCase().padStart(4, '0')}`;
}
