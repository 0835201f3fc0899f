import { fromHex } from '../../bytes.ts';
import type { Eui } from '../../crypto/eui.ts';
import type { DecodedMessage } from '../../gbcs/message.ts';
import { buildUpdateSecurityCredentialsCommand } from '../../gbcs/payload/asn1/security-credentials.ts';
import { encodeApdu, type AccessRequest, type AccessResponse, type DlmsApdu } from '../../gbcs/payload/dlms/apdu.ts';
import { resultName, RESULT } from '../../gbcs/payload/dlms/results.ts';
import {
  activateEmergencyCreditCommand,
  paymentModeToCreditCommand,
  paymentModeToPrepaymentCommand,
  readBillingDataLogCommand,
  readFirmwareVersionCommand,
  readMeterBalanceCommand,
  readPaymentModeCommand,
  readPrepaymentRegistersCommand,
  setClockCommand,
  setImportMpanCommand,
  topUpCommand,
  type CreditChargeConfiguration,
} from '../../gbcs/payload/dlms/use-cases.ts';
import type { Json } from '../../gbcs/payload/types.ts';
import { generateUtrn, parseUtrn, UtrnFormatError } from '../../gbcs/utrn.ts';
import type { CommandSpec } from '../headend.ts';
import { RequestParamsError, type RequestContext, type RequestOutcome, type RequestParams, type ServiceRequestDefinition } from './types.ts';
import { topUpValue } from './top-up-value.ts';
import { MESSAGE_CODE as CODE } from '../../gbcs/message-codes.ts';

/**
 * The service requests hanlab sends to an ESME, each one GBCS command. Money in outcomes is in pounds (2
 * decimals), energy in kWh; the meter holds money in GBCS currency units of 1/100,000 of a pound.
 */

const CURRENCY_UNITS_PER_POUND = 100_000;
const gbp = (units: number) => Math.round(units / 1000) / 100;

type Spec = Omit<CommandSpec, 'hub'>;
type JsonObject = { [key: string]: Json };

const MESSAGE_CODE = { CS01a: CODE.CS01a, ECS02: CODE.ECS02, ECS03: CODE.ECS03, ECS09: CODE.ECS09, ECS19: CODE.ECS19, ECS20b: CODE.ECS20b, ECS39a: CODE.ECS39a, ECS52: CODE.ECS52, ECS70: CODE.ECS70, ECS82: CODE.ECS82, ECS26j: CODE.ECS26j, CS02b: CODE.CS02b_SupplierBySupplier } as const;

function esmeOf(ctx: RequestContext): Eui {
  const esme = ctx.devices.esme;
  if (!esme) throw new RequestParamsError('no ESME at this premises');
  return esme;
}

/** The counter the command will carry, taken now because the payload needs it (DLMS invoke ids, UTRNs, CS02b). */
function takeCounter(ctx: RequestContext, topUp = false): bigint {
  if (!ctx.nextCounter) throw new RequestParamsError('this request needs the head-end to hand out its counter (RequestContext.nextCounter)');
  return ctx.nextCounter({ topUp });
}

function dlmsCommand(srv: string, messageCode: number, critical: boolean, ctx: RequestContext, build: (counter: bigint) => AccessRequest, counter = takeCounter(ctx)): Spec[] {
  return [{ serviceRequest: srv, messageCode, target: esmeOf(ctx), payload: encodeApdu(build(counter)), critical, counter }];
}

// ---------------------------------------------------------------------------------------------------------------
// Reading responses

function dlmsResponse(m: DecodedMessage): AccessResponse | undefined {
  const tree = m.payload?.encoding === 'dlms' ? (m.payload.tree as DlmsApdu) : undefined;
  return tree?.apdu === 'access-response' ? tree : undefined;
}

/** The first failed item's result, named; `names` gives request-specific names to some results. */
function failure(r: AccessResponse, names: Partial<Record<number, string>> = {}): string | undefined {
  const failed = r.results.find((x) => x.result !== RESULT.success);
  if (!failed) return undefined;
  return names[failed.result] ?? resultName(failed.service, failed.result) ?? `result-${failed.result}`;
}

/** Interprets a DLMS response: a failure is named, success reads fields from the response. */
function dlmsOutcome(m: DecodedMessage, read: (r: AccessResponse, m: DecodedMessage) => JsonObject | string, names?: Partial<Record<number, string>>): RequestOutcome {
  const r = dlmsResponse(m);
  if (!r) return { success: false, error: 'unexpected-response', fields: {} };
  const error = failure(r, names);
  if (error) return { success: false, error, fields: {} };
  const fields = read(r, m);
  return typeof fields === 'string' ? { success: false, error: fields, fields: {} } : { success: true, fields };
}

const noFields = () => ({});

/** The decrypted plaintext of a protected read, as the decoder gives it (needs the head-end's keys at decode time). */
function plaintextOf(m: DecodedMessage): JsonObject | undefined {
  const responses = ((m.payload?.fields as JsonObject | undefined)?.responses as JsonObject[] | undefined) ?? [];
  const data = responses[0]?.data as JsonObject | undefined;
  return data?.decryption === 'decrypted' ? (data.plaintext as JsonObject) : undefined;
}

const elements = (d: Json | undefined): JsonObject[] => ((d as JsonObject | undefined)?.elements as JsonObject[] | undefined) ?? [];
const numberOf = (d: Json | undefined): number => Number((d as JsonObject | undefined)?.value);

const PREPAYMENT_VALUE_NAMES = ['meterBalance', 'emergencyCreditBalance', 'accumulatedDebt', 'paymentDebt', 'timeDebt1', 'timeDebt2'] as const;

function prepaymentValues(values: JsonObject[]): JsonObject {
  return Object.fromEntries(PREPAYMENT_VALUE_NAMES.map((name, i) => [name, gbp(numberOf(values[i]))]));
}

// ---------------------------------------------------------------------------------------------------------------
// Parameters

function stringParam(params: RequestParams, name: string, required = true): string | undefined {
  const v = params[name];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string') throw new RequestParamsError(`params.${name} must be a string`);
  return v;
}

function dateParam(params: RequestParams, name: string): Date | undefined {
  const text = stringParam(params, name, false);
  if (text === undefined) return undefined;
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new RequestParamsError(`params.${name} is not an ISO date-time: ${JSON.stringify(text)}`);
  return d;
}


function moneyParam(params: RequestParams, name: string, fallback: number): number {
  const v = params[name] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RequestParamsError(`params.${name} must be an amount in pounds`);
  return v;
}

// ---------------------------------------------------------------------------------------------------------------
// 8.1.1 Commission Device: ECS70

const CLOCK_WINDOW_MS = 30_000;

const commission: ServiceRequestDefinition = {
  srv: '8.1.1',
  name: 'Commission Device',
  target: 'esme',
  build: (_params, ctx) =>
    // As the RTDS sends it: the preset time unspecified, the DCC's time bracketed by the validity interval.
    dlmsCommand('8.1.1', MESSAGE_CODE.ECS70, true, ctx, (counter) =>
      setClockCommand({ counter, presetTime: 'never', validityIntervalStart: new Date(ctx.now - CLOCK_WINDOW_MS), validityIntervalEnd: new Date(ctx.now + CLOCK_WINDOW_MS) }),
    ),
  interpret: (m) =>
    dlmsOutcome(m, (r) => {
      const fields = (m.payload?.fields as JsonObject).responses as JsonObject[];
      const time = (fields[3]?.data as JsonObject | undefined)?.dateTime as JsonObject | undefined;
      return { deviceTime: (time?.iso as string | undefined) ?? null, clockStatus: r.data[4]?.type === 'unsigned' ? r.data[4].value : null };
    }),
};

// ---------------------------------------------------------------------------------------------------------------
// 2.2 Top Up Device: CS01a

const UTRN_COUNTER_FIELD = 0x3ff;

/** The first top-up counter at or after `from` whose UTRN counter bits are `field` (the UTRN fixes them). */
function counterForUtrn(from: bigint, field: number): bigint {
  const high = from >> 32n;
  const step = (BigInt(field) - (high & 0x3ffn) + 0x400n) & 0x3ffn;
  return (high + step) << 32n;
}

const topUpDevice: ServiceRequestDefinition = {
  srv: '2.2',
  name: 'Top Up Device',
  target: 'esme',
  build(params, ctx) {
    const esme = esmeOf(ctx);
    const given = stringParam(params, 'utrn', false);
    let utrn: string;
    let counter: bigint;
    if (given !== undefined) {
      let field: number;
      try {
        field = parseUtrn(given).counterField;
      } catch (e) {
        if (e instanceof UtrnFormatError) throw new RequestParamsError(`params.utrn: ${e.message}`);
        throw e;
      }
      utrn = given.replace(/ /g, '');
      // The UTRN's MAC covers the counter it was made with: send it under that counter when the supplier says which.
      const madeWith = params.counter;
      counter = typeof madeWith === 'string' ? BigInt(madeWith) : counterForUtrn(takeCounter(ctx, true), field & UTRN_COUNTER_FIELD);
    } else {
      const { value, valueClass } = topUpValue(params);
      const supplierPrepaymentKey = ctx.keys?.privateKey(ctx.parties.supplier, 'pp-ka');
      const devicePublicKey = ctx.keys?.publicKey(esme, 'ka');
      if (!supplierPrepaymentKey || !devicePublicKey) throw new RequestParamsError(`making a UTRN needs the supplier's prepayment key and ${esme}'s key agreement key`);
      counter = takeCounter(ctx, true);
      utrn = generateUtrn({ supplierPrepaymentKey, devicePublicKey, originator: ctx.parties.supplier, target: esme, counter, value, valueClass });
    }
    return dlmsCommand('2.2', MESSAGE_CODE.CS01a, false, ctx, (c) => topUpCommand({ counter: c, utrn }), counter);
  },
  interpret: (m) => dlmsOutcome(m, noFields, { [RESULT.hardwareFault]: 'utrn-rejected' }),
};

// ---------------------------------------------------------------------------------------------------------------
// 1.6 Update Payment Mode: ECS02 / ECS03

const chargesFrom = (credit: string[], charges: [string, string][]): CreditChargeConfiguration[] =>
  credit.flatMap((creditReference) => charges.map(([chargeReference, collectionConfiguration]) => ({ creditReference, chargeReference, collectionConfiguration })));

const METER_BALANCE = '0-0:19.10.0.255';
const EMERGENCY_CREDIT = '0-0:19.10.1.255';
/** What credit mode collects from the meter balance, as the RTDS ECS02 sets it: TOU prices, standing charge, secondary TOU. */
const CREDIT_CHARGES = chargesFrom([METER_BALANCE], [['0-0:19.20.0.255', '111'], ['0-0:19.20.4.255', '111'], ['0-0:19.20.5.255', '111']]);
/** Prepayment collects everything, debts included, from the meter balance and emergency credit, as the RTDS ECS03. */
const PREPAYMENT_CHARGES = chargesFrom(
  [METER_BALANCE, EMERGENCY_CREDIT],
  [['0-0:19.20.0.255', '111'], ['0-0:19.20.4.255', '111'], ['0-0:19.20.1.255', '110'], ['0-0:19.20.2.255', '110'], ['0-0:19.20.3.255', '111'], ['0-0:19.20.5.255', '111']],
);

const updatePaymentMode: ServiceRequestDefinition = {
  srv: '1.6',
  name: 'Update Payment Mode',
  target: 'esme',
  build(params, ctx) {
    const mode = params.mode;
    const at = dateParam(params, 'executeAt') ?? 'now';
    if (mode === 'credit') return dlmsCommand('1.6', MESSAGE_CODE.ECS02, true, ctx, (counter) => paymentModeToCreditCommand({ counter, creditChargeConfiguration: CREDIT_CHARGES, activationTime: at }));
    if (mode !== 'prepayment') throw new RequestParamsError(`params.mode is credit or prepayment, got ${JSON.stringify(mode)}`);
    const disablementThreshold = Math.round(moneyParam(params, 'disablementThreshold', 0) * CURRENCY_UNITS_PER_POUND);
    return dlmsCommand('1.6', MESSAGE_CODE.ECS03, true, ctx, (counter) =>
      paymentModeToPrepaymentCommand({ counter, disablementThreshold, creditChargeConfiguration: PREPAYMENT_CHARGES, disablementThresholdActivationTime: at, activationTime: at }),
    );
  },
  interpret: (m, params) =>
    dlmsOutcome(m, () => {
      const at = typeof params.executeAt === 'string' ? params.executeAt : null;
      return { mode: params.mode ?? null, executeAt: at, scheduled: at !== null };
    }),
};

// ---------------------------------------------------------------------------------------------------------------
// 2.5 Activate Emergency Credit: ECS09

const activateEmergencyCredit: ServiceRequestDefinition = {
  srv: '2.5',
  name: 'Activate Emergency Credit',
  target: 'esme',
  build: (_params, ctx) => dlmsCommand('2.5', MESSAGE_CODE.ECS09, true, ctx, (counter) => activateEmergencyCreditCommand({ counter })),
  interpret: (m) => dlmsOutcome(m, noFields, { [RESULT.otherReason]: 'emergency-credit-not-activated' }),
};

// ---------------------------------------------------------------------------------------------------------------
// 11.2 Read Firmware Version: ECS52; 6.20.1 Set Import MPxN: ECS39a

const readFirmwareVersion: ServiceRequestDefinition = {
  srv: '11.2',
  name: 'Read Firmware Version',
  target: 'esme',
  build: (_params, ctx) => dlmsCommand('11.2', MESSAGE_CODE.ECS52, false, ctx, (counter) => readFirmwareVersionCommand({ counter })),
  interpret: (m) => dlmsOutcome(m, firmwareVersionFields),
};

/** ECS52's answer (the hub answers with the same layout): the running version, 4 octets. */
export function firmwareVersionFields(r: AccessResponse): JsonObject | string {
  const d = r.data[0];
  if (d?.type !== 'octet-string' || d.value.length !== 4) return 'unexpected-response';
  const version = new DataView(d.value.buffer, d.value.byteOffset, 4).getUint32(0);
  return { firmwareVersion: version, firmwareVersionHex: version.toString(16).padStart(8, '0') };
}

const setImportMpan: ServiceRequestDefinition = {
  srv: '6.20.1',
  name: 'Set Device Configuration (Import MPxN)',
  target: 'esme',
  build(params, ctx) {
    const mpan = stringParam(params, 'mpxn')!;
    if (!/^(\d{13}){1,2}$/.test(mpan)) throw new RequestParamsError(`params.mpxn is a 13-digit MPAN (26 digits for twin elements), got ${JSON.stringify(mpan)}`);
    return dlmsCommand('6.20.1', MESSAGE_CODE.ECS39a, false, ctx, (counter) => setImportMpanCommand({ counter, mpan }));
  },
  interpret: (m, params) => dlmsOutcome(m, () => ({ mpan: params.mpxn ?? null })),
};

// ---------------------------------------------------------------------------------------------------------------
// Reads: 4.18 ECS82, 6.2.9 ECS26j, 4.3 ECS19 (protected), 4.4.2 ECS20b (protected)

const readMeterBalance: ServiceRequestDefinition = {
  srv: '4.18',
  name: 'Read Meter Balance',
  target: 'esme',
  build: (_params, ctx) => dlmsCommand('4.18', MESSAGE_CODE.ECS82, false, ctx, (counter) => readMeterBalanceCommand({ counter })),
  interpret: (m) => dlmsOutcome(m, (r) => (r.data[0]?.type === 'double-long' ? { balanceGbp: gbp(r.data[0].value) } : 'unexpected-response')),
};

const PAYMENT_MODE_NAMES: Record<number, string> = { 1: 'credit', 2: 'prepayment' };
const ACCOUNT_STATUS_NAMES: Record<number, string> = { 1: 'new', 2: 'active', 3: 'closed' };

const readPaymentMode: ServiceRequestDefinition = {
  srv: '6.2.9',
  name: 'Read Device Configuration (Payment Mode)',
  target: 'esme',
  build: (_params, ctx) => dlmsCommand('6.2.9', MESSAGE_CODE.ECS26j, false, ctx, (counter) => readPaymentModeCommand({ counter })),
  interpret: (m) =>
    dlmsOutcome(m, (r) => {
      const d = r.data[0];
      const [mode, status] = d?.type === 'structure' ? d.elements : [];
      if (mode?.type !== 'enum' || status?.type !== 'enum') return 'unexpected-response';
      return { paymentMode: PAYMENT_MODE_NAMES[mode.value] ?? mode.value, accountStatus: ACCOUNT_STATUS_NAMES[status.value] ?? status.value };
    }),
};

const readPrepayValues: ServiceRequestDefinition = {
  srv: '4.3',
  name: 'Read Instantaneous Prepay Values',
  target: 'esme',
  build: (_params, ctx) => dlmsCommand('4.3', MESSAGE_CODE.ECS19, false, ctx, (counter) => readPrepaymentRegistersCommand({ counter, requester: ctx.parties.supplier, device: esmeOf(ctx) })),
  interpret: (m) =>
    dlmsOutcome(m, () => {
      const values = elements(elements(plaintextOf(m))[0]);
      return values.length === 6 ? prepaymentValues(values) : 'not-decrypted';
    }),
};

/** Billing data log time stamps: seconds since 2000-01-01T00:00:00Z. */
const GBCS_EPOCH_MS = Date.UTC(2000, 0, 1);

const readBillingDataLog: ServiceRequestDefinition = {
  srv: '4.4.2',
  name: 'Retrieve Change Of Mode / Tariff Triggered Billing Data Log',
  target: 'esme',
  build(params, ctx) {
    const from = dateParam(params, 'from') ?? new Date(GBCS_EPOCH_MS);
    const to = dateParam(params, 'to') ?? new Date(ctx.now);
    return dlmsCommand('4.4.2', MESSAGE_CODE.ECS20b, false, ctx, (counter) => readBillingDataLogCommand({ counter, requester: ctx.parties.supplier, device: esmeOf(ctx), from, to }));
  },
  interpret: (m) =>
    dlmsOutcome(m, () => {
      const plaintext = plaintextOf(m);
      if (!plaintext) return 'not-decrypted';
      const entries = elements(elements(plaintext)[0]).map((e) => {
        const parts = elements(e);
        return {
          at: new Date(GBCS_EPOCH_MS + numberOf(parts[0]) * 1000).toISOString(),
          importKwh: numberOf(parts[1]) / 1000,
          touKwh: elements(parts[2]).map((x) => numberOf(x) / 1000),
          ...prepaymentValues(parts.slice(7)),
        };
      });
      return { entries };
    }),
};

// ---------------------------------------------------------------------------------------------------------------
// 6.15.1 Update Security Credentials (KRP): CS02b, supplier by supplier

const SUCCESS_STATUS = 0;

const updateSecurityCredentials: ServiceRequestDefinition = {
  srv: '6.15.1',
  name: 'Update Security Credentials (KRP)',
  target: 'esme',
  build(params, ctx) {
    const certificates = params.certificates as { [usage: string]: Json } | undefined;
    const cert = (usage: string) => {
      const hex = certificates?.[usage];
      if (typeof hex !== 'string') throw new RequestParamsError(`params.certificates.${usage} must be a DER certificate in hex`);
      return fromHex(hex);
    };
    const path = params.certificationPath;
    if (!Array.isArray(path) || path.some((p) => typeof p !== 'string')) throw new RequestParamsError('params.certificationPath is a list of DER certificates in hex');
    const executionDateTime = dateParam(params, 'executeAt');
    const floor = BigInt(stringParam(params, 'floorCounter', false) ?? '0');
    const counter = takeCounter(ctx);
    const payload = buildUpdateSecurityCredentialsCommand({
      authorisingRemotePartyControl: {
        credentialsReplacementMode: 'supplierBySupplier',
        timeBasedCpvChecks: 'disapply',
        authorisingRemotePartyTaCell: { remotePartyRole: 'supplier', keyUsage: ['digitalSignature'] },
        authorisingRemotePartySeqNumber: counter,
        newRemotePartyFloorSeqNumber: floor,
        newRemotePartySpecialistFloorSeqNumbers: [{ seqNumberUsage: 'prepaymentTopUp', seqNumber: 0 }],
      },
      replacements: [
        { certificate: cert('ds'), targetTaCell: { remotePartyRole: 'supplier', keyUsage: ['digitalSignature'] } },
        { certificate: cert('ka'), targetTaCell: { remotePartyRole: 'supplier', keyUsage: ['keyAgreement'] } },
        { certificate: cert('prepaymentKa'), targetTaCell: { remotePartyRole: 'supplier', keyUsage: ['keyAgreement'], cellUsage: 'prepaymentTopUp' } },
      ],
      certificationPathCertificates: (path as string[]).map(fromHex),
      ...(executionDateTime ? { executionDateTime } : {}),
    });
    return [{ serviceRequest: '6.15.1', messageCode: MESSAGE_CODE.CS02b, target: esmeOf(ctx), payload, critical: true, counter }];
  },
  interpret(m): RequestOutcome {
    const f = m.payload?.encoding === 'asn1' ? (m.payload.fields as JsonObject) : undefined;
    if (!f || f.commandAccepted !== true) return { success: false, error: 'command-not-accepted', fields: {} };
    const outcome = f.executionOutcome as JsonObject | undefined;
    if (!outcome) return { success: true, fields: { scheduled: true } };
    const cells: Json[] = ((outcome.replacementOutcomes as JsonObject[] | undefined) ?? []).map((o) => ({
      keyUsage: (o.affectedTaCell as JsonObject).keyUsage ?? null,
      prepayment: (o.affectedTaCell as JsonObject).cellUsage !== undefined,
      status: ((o.statusCode as JsonObject).name as string | undefined) ?? numberOf(o.statusCode),
      replacingSubjectUniqueId: o.replacingSubjectUniqueId ?? null,
    }));
    const success = ((outcome.replacementOutcomes as JsonObject[] | undefined) ?? []).every((o) => numberOf(o.statusCode) === SUCCESS_STATUS);
    return success ? { success, fields: { scheduled: false, cells } } : { success, error: 'credentials-not-replaced', fields: { scheduled: false, cells } };
  },
};

export const ESME_SERVICE_REQUESTS: ServiceRequestDefinition[] = [
  commission,
  topUpDevice,
  updatePaymentMode,
  activateEmergencyCredit,
  readFirmwareVersion,
  setImportMpan,
  readMeterBalance,
  readPaymentMode,
  readPrepayValues,
  readBillingDataLog,
  updateSecurityCredentials,
];
