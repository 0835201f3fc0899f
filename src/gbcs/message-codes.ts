/**
 * GBCS message codes by use case, the one table the head-end and the simulated devices take them from. Names are
 * the GBCS use case names (alerts that GBCS names by title only carry the catalogue's short labels, `-` as `_`);
 * test/gbcs-catalogue.test.ts checks every entry against the catalogue.
 */
export const MESSAGE_CODE = {
  CCS01: 0x0001,
  CCS02: 0x0002,
  CCS03: 0x0003,
  CCS05CCS04: 0x0004,
  CCS06: 0x010f,
  CCS07: 0x00fe,
  CCS08: 0x0128,
  CS01a: 0x0007,
  CS01b: 0x0097,
  /** CS02b has one code per credential change; this is the supplier replacing its own credentials. */
  CS02b_SupplierBySupplier: 0x0102,
  CS03A1: 0x000d,
  CS03A2: 0x00ab,
  CS03B: 0x000e,
  CS03C: 0x00af,
  CS04AC: 0x000f,
  CS04B: 0x0010,
  CS06: 0x0012,
  CS07: 0x0013,
  CS14: 0x0018,
  ECS02: 0x001a,
  ECS03: 0x001b,
  ECS09: 0x0020,
  ECS19: 0x002d,
  ECS20b: 0x002f,
  ECS26j: 0x00be,
  ECS39a: 0x004c,
  ECS52: 0x0059,
  ECS70: 0x0062,
  ECS82: 0x0069,
  GCS02: 0x006c,
  GCS03: 0x006d,
  GCS06: 0x0070,
  GCS14: 0x0075,
  GCS15b: 0x00c3,
  GCS21j: 0x00bf,
  GCS28: 0x007f,
  GCS38: 0x0084,
  GCS41: 0x0087,
  GCS59: 0x008c,
  GCS60: 0x008d,
  GCS60a: 0x012a,
  GCS62: 0x00b2,
  /** Future-dated command executed (0x8F66 and others), DLMS and GBZ layouts. */
  FDEIA_DLMS: 0x00cc,
  FDEIA_ZigBee: 0x00cd,
  /** Firmware distribution receipt, DLMS (ESME, hub) and GBZ (GSME) layouts. */
  FDRA_DLMS: 0x00ce,
  FDRA_ZigBee: 0x00cf,
  /** Future-dated firmware activation alert (CS06). */
  FDFAA: 0x00ca,
} as const;

export type MessageCodeName = keyof typeof MESSAGE_CODE;
