/**
 * The firmware service requests: 11.1 Update Firmware (CS05a to the hub itself, CS05b to an ESME or GSME),
 * 11.3 Activate Firmware (CS06, critical) and 11.2 Read Firmware Version for the PPMID (CS08); 11.2 for the hub,
 * ESME and GSME is with their other requests.
 *
 * CS05a/b are not GBCS messages: GBCS has the DCC hand the hub the image by other means (see src/ota/delivery.ts)
 * and leaves the rest to the hub (distribution on the HAN, then the CCS08 Firmware Transfer Alert).
 *
 * The image is signed (GB signature over the manufacturer image); the envelope adds nothing to check. The 11.1
 * request's response, as DUIS gives it, is the hub's CCS08 naming the target: `FirmwareHeadEnd` sends the envelope
 * and waits for it. It also remembers the last image sent to each device, whose manufacturer image hash 11.3
 * activates unless the request names one.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fromHex, HexError, toHex } from '../../bytes.ts';
import { normaliseEui, type Eui } from '../../crypto/eui.ts';
import { decodeMessage, type DecodedMessage } from '../../gbcs/message.ts';
import { buildActivateFirmwareCommand, buildReadFirmwareVersionCommand } from '../../gbcs/payload/asn1/index.ts';
import type { Json } from '../../gbcs/payload/types.ts';
import { buildGbImage, manufacturerImageHash, parseGbImage } from '../../ota/gb-image.ts';
import { OtaImageError } from '../../ota/errors.ts';
import type { Endpoint } from '../../transport/bus.ts';
import { envelopeIds } from '../../transport/envelope.ts';
import { HeadEnd, type CommandResult, type CommandSpec, type HeadEndOptions, type ReceivedMessage } from '../headend.ts';
import { RequestParamsError, type DeviceRole, type RequestContext, type RequestOutcome, type RequestParams, type ServiceRequestDefinition } from './types.ts';
import { encodeFirmwareDelivery, firmwareChannelOf, FIRMWARE_DELIVERY_PROTOCOL } from '../../ota/delivery.ts';

type JsonObject = { [key: string]: Json };

export { FIRMWARE_DELIVERY_PROTOCOL, firmwareChannelOf, encodeFirmwareDelivery, decodeFirmwareDelivery, FirmwareDeliveryError, type FirmwareDelivery } from '../../ota/delivery.ts';

// ------------------------------------------------------------------------------------------------ the head-end's part

/** An image the head-end sent to a device, as 11.3 needs it. */
export interface SentImage {
  target: Eui;
  fileVersion?: number;
  /** Manufacturer image hash, hex; absent when the file is no GB image. */
  hash?: string;
}

/** 11.1's command: not GBCS, the CS05 envelope (see the module comment). */
export interface FirmwareDeliverySpec extends Omit<CommandSpec, 'hub'> {
  firmwareDelivery: SentImage;
}

/** CS05 has no message code. */
export const CS05_MESSAGE_CODE = 0x0000;
const CCS08 = 0x0128;

export function isFirmwareDeliverySpec(spec: Omit<CommandSpec, 'hub'>): spec is FirmwareDeliverySpec {
  return 'firmwareDelivery' in spec;
}

/**
 * A head-end that can also hand firmware images to hubs (CS05a/b). A delivery's response is the hub's CCS08 for
 * the target, arriving after the delivery; what the result names as the command is the delivery itself (its
 * bytes) — CS05 has no GBCS frame, so the result carries the CCS08's frame there too.
 */
export class FirmwareHeadEnd extends HeadEnd {
  private channel: Endpoint | undefined;
  private readonly options: HeadEndOptions;
  private readonly nextDeliveryId: () => string;
  private readonly sent = new Map<Eui, SentImage>();

  constructor(options: HeadEndOptions) {
    super(options);
    this.options = options;
    this.nextDeliveryId = envelopeIds(firmwareChannelOf(this.address));
  }

  override async start(): Promise<void> {
    await super.start();
    this.channel ??= await this.options.bus.attach(firmwareChannelOf(this.address));
  }

  override async stop(): Promise<void> {
    await super.stop();
    const channel = this.channel;
    this.channel = undefined;
    await channel?.close();
  }

  /** The last image sent to a device, whatever became of it. */
  lastImageSent(target: Eui): SentImage | undefined {
    return this.sent.get(normaliseEui(target));
  }

  override async send(spec: CommandSpec, options: { timeoutMs?: number } = {}): Promise<CommandResult> {
    if (!isFirmwareDeliverySpec(spec)) return super.send(spec, options);
    return this.deliver(spec, options.timeoutMs ?? this.options.responseTimeoutMs ?? 60_000);
  }

  private async deliver(spec: FirmwareDeliverySpec & { hub: Eui }, timeoutMs: number): Promise<CommandResult> {
    const channel = this.channel;
    if (!channel) throw new Error('the head-end has not started: no firmware channel');
    const hub = normaliseEui(spec.hub);
    const target = normaliseEui(spec.target);
    const earlier = new Set(this.alerts);
    await channel.send({ id: this.nextDeliveryId(), to: hub, protocol: FIRMWARE_DELIVERY_PROTOCOL, payload: spec.payload });
    this.sent.set(target, { ...spec.firmwareDelivery, target });
    const isReport = (m: ReceivedMessage) => !earlier.has(m) && m.frame.header.originator === hub && transferAlertTarget(decodeMessage(m.bytes, this.security)) === target;
    const alert = await this.waitForAlert(isReport, timeoutMs, `the CCS08 firmware transfer alert from ${hub} for ${target}`);
    return { command: { bytes: spec.payload, frame: alert.frame, counter: alert.frame.header.counter }, response: alert };
  }
}

function fieldsOf(m: DecodedMessage): JsonObject | undefined {
  const f = m.payload?.fields;
  return f !== null && typeof f === 'object' && !Array.isArray(f) ? f : undefined;
}

function transferAlertTarget(m: DecodedMessage): Eui | undefined {
  if (m.frame.header.other.messageCode !== CCS08 || m.payload?.kind !== 'firmware-transfer-alert') return undefined;
  const id = fieldsOf(m)?.entityId;
  return typeof id === 'string' ? normaliseEui(id) : undefined;
}

// ------------------------------------------------------------------------------------------------ images

/** "2.0.0" or "2.0.0.1" (bytes of the 32-bit version, most significant first) or "0x02000000". */
export function firmwareVersionNumber(text: string): number {
  if (/^0x[0-9a-f]{1,8}$/i.test(text)) return Number.parseInt(text.slice(2), 16);
  const parts = text.split('.').map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : Number.NaN));
  if (parts.length < 2 || parts.length > 4 || parts.some((p) => !(p <= 255))) throw new RequestParamsError(`firmware version ${JSON.stringify(text)} is not a.b.c(.d) or 0x…`);
  while (parts.length < 4) parts.push(0);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** The manufacturer image of a harness-built test image: deterministic bytes for the model and version. */
export function testManufacturerImage(model: string, version: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const seed = `hanlab test firmware ${model} 0x${version.toString(16).padStart(8, '0')}`;
  for (let block = 0, at = 0; at < size; block++, at += 32) {
    out.set(createHash('sha256').update(`${seed} ${block}`).digest().subarray(0, Math.min(32, size - at)), at);
  }
  return out;
}

/** What the DCC's inventory says about a device model, as premises give it (defaultParams `inventory`). */
interface ModelIdentity {
  model: string;
  manufacturerCode: number;
  imageType: number;
  minHardwareVersion: number;
  maxHardwareVersion: number;
  imageBytes: number;
}

function inventoryOf(params: RequestParams, role: DeviceRole): ModelIdentity {
  const inventory = params.inventory;
  const row = inventory !== null && typeof inventory === 'object' && !Array.isArray(inventory) ? inventory[role] : undefined;
  const r = row !== null && typeof row === 'object' && !Array.isArray(row) ? row : undefined;
  const num = (k: string) => (typeof r?.[k] === 'number' ? (r[k] as number) : Number.NaN);
  const identity = { model: typeof r?.model === 'string' ? r.model : '', manufacturerCode: num('manufacturerCode'), imageType: num('imageType'), minHardwareVersion: num('minHardwareVersion'), maxHardwareVersion: num('maxHardwareVersion'), imageBytes: num('imageBytes') };
  if (!identity.model || Object.values(identity).some((v) => typeof v === 'number' && !Number.isInteger(v))) {
    throw new RequestParamsError(`building a test image needs the ${role}'s model from the DCC's inventory (params.inventory.${role}), and these premises give none`);
  }
  return identity;
}

/** A GB image of `version` for the target's model, signed with the supplier's DS key (as the RTDS test images are). */
function buildTestImage(params: RequestParams, role: DeviceRole, versionText: string, ctx: RequestContext): Uint8Array {
  const m = inventoryOf(params, role);
  const key = ctx.keys?.privateKey(ctx.parties.supplier, 'ds');
  if (!key) throw new RequestParamsError(`building a test image needs the supplier's (${ctx.parties.supplier}) DS private key`);
  const fileVersion = firmwareVersionNumber(versionText);
  return buildGbImage({
    manufacturerCode: m.manufacturerCode,
    imageType: m.imageType,
    fileVersion,
    minHardwareVersion: m.minHardwareVersion,
    maxHardwareVersion: m.maxHardwareVersion,
    headerString: `${m.model} ${versionText}`.slice(0, 32),
    manufacturerImage: testManufacturerImage(m.model, fileVersion, m.imageBytes),
    signingKey: key,
  });
}

/** An image file as given: a path, relative to the working directory. */
function readImageFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(resolve(path)));
  } catch (e) {
    throw new RequestParamsError(`cannot read the image ${path}: ${(e as Error).message}`);
  }
}

/** What 11.3 later needs of an image, when it is a GB image at all. */
function sentImageFacts(image: Uint8Array, target: Eui): SentImage {
  try {
    const { image: gb } = parseGbImage(image);
    return { target, fileVersion: gb.header.fileVersion, hash: toHex(manufacturerImageHash(gb.manufacturerImage)) };
  } catch (e) {
    if (e instanceof OtaImageError) return { target };
    throw e;
  }
}

// ------------------------------------------------------------------------------------------------ definitions

const FIRMWARE_ROLES = ['chf', 'esme', 'gsme'] as const;
type FirmwareRole = (typeof FIRMWARE_ROLES)[number];

function deviceOf(ctx: RequestContext, role: DeviceRole): Eui {
  const eui = role === 'chf' ? (ctx.devices.chf ?? ctx.hub) : ctx.devices[role];
  if (!eui) throw new RequestParamsError(`no ${role} at these premises`);
  return eui;
}

function text(params: RequestParams, name: string): string | undefined {
  const v = params[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.trim() === '') throw new RequestParamsError(`params.${name} must be text`);
  return v;
}

const enumName = (v: Json | undefined): string | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v.name === 'string' ? v.name : undefined);
const enumValue = (v: Json | undefined): number | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v.value === 'number' ? v.value : undefined);

/** CCS08 response codes as the outcome names them (scenario vocabulary; the GBCS code stays in `transfer`). */
const TRANSFER_ERRORS: Readonly<Record<string, string>> = {
  imageDiscarded: 'not-authorised',
  hardwareVersionMismatch: 'not-supported',
  fileTransferFailure: 'file-transfer-failure',
};

const TRANSFER_SUCCESS = 0x8f8a;

function updateFirmware(role: FirmwareRole): ServiceRequestDefinition {
  return {
    srv: '11.1',
    name: `Update Firmware (${role === 'chf' ? 'CS05a' : 'CS05b'})`,
    target: role,
    build(params, ctx) {
      const target = deviceOf(ctx, role);
      const path = text(params, 'image');
      const version = text(params, 'version');
      if ((path === undefined) === (version === undefined)) throw new RequestParamsError('11.1 takes exactly one of params.image (a file) and params.version');
      const image = path !== undefined ? readImageFile(path) : buildTestImage(params, role, version!, ctx);
      const spec: FirmwareDeliverySpec = {
        serviceRequest: '11.1',
        messageCode: CS05_MESSAGE_CODE,
        target,
        payload: encodeFirmwareDelivery({ targets: [target], image }),
        critical: false,
        firmwareDelivery: sentImageFacts(image, target),
      };
      return [spec];
    },
    interpret(m) {
      const f = fieldsOf(m);
      const transfer = enumName(f?.responseCode);
      if (m.payload?.kind !== 'firmware-transfer-alert' || !f || transfer === undefined) return { success: false, error: 'unexpected-response', fields: {} };
      const fields: JsonObject = { target: f.entityId ?? null, firmwareVersionHex: f.firmwareVersion ?? null, transfer };
      if (enumValue(f.alertCode) === TRANSFER_SUCCESS && transfer === 'success') return { success: true, fields };
      return { success: false, error: TRANSFER_ERRORS[transfer] ?? 'file-transfer-failure', fields };
    },
  };
}

/** CS06 response codes as the outcome names them (scenario vocabulary; the GBCS code stays in `responseCode`). */
const ACTIVATION_ERRORS: Readonly<Record<string, string>> = {
  noImageHeld: 'invalid-parameters',
  hashMismatch: 'invalid-parameters',
  activationFailure: 'not-authorised',
};

/** The hash to activate: params.hash, or that of the last image the head-end sent the device (defaultParams `sentImages`). */
function hashToActivate(params: RequestParams, target: Eui): Uint8Array {
  const given = text(params, 'hash');
  const sent = params.sentImages;
  const remembered = sent !== null && typeof sent === 'object' && !Array.isArray(sent) ? sent[target] : undefined;
  const hex = given ?? (typeof remembered === 'string' ? remembered : undefined);
  if (hex === undefined) throw new RequestParamsError(`no firmware image has been sent to ${target}: send 11.1 first or give params.hash`);
  let hash: Uint8Array;
  try {
    hash = fromHex(hex);
  } catch (e) {
    if (e instanceof HexError) throw new RequestParamsError(`params.hash: ${e.message}`);
    throw e;
  }
  if (hash.length !== 32) throw new RequestParamsError(`a manufacturer image hash is 32 bytes, got ${hash.length}`);
  return hash;
}

function activateFirmware(role: FirmwareRole): ServiceRequestDefinition {
  return {
    srv: '11.3',
    name: 'Activate Firmware (CS06)',
    target: role,
    build(params, ctx) {
      const target = deviceOf(ctx, role);
      const manufacturerImageHash = hashToActivate(params, target);
      if (!ctx.nextCounter) throw new RequestParamsError('CS06 carries its originator counter: the head-end must hand it out (RequestContext.nextCounter)');
      const counter = ctx.nextCounter();
      const at = text(params, 'executeAt');
      const executionDateTime = at === undefined ? undefined : new Date(Math.floor(Date.parse(at) / 1000) * 1000);
      if (executionDateTime && Number.isNaN(executionDateTime.getTime())) throw new RequestParamsError(`params.executeAt is not a date-time: ${JSON.stringify(at)}`);
      const payload = buildActivateFirmwareCommand({ manufacturerImageHash, originatorCounter: counter, ...(executionDateTime ? { executionDateTime } : {}) });
      return [{ serviceRequest: '11.3', messageCode: 0x0012, target, payload, critical: true, counter }];
    },
    interpret(m) {
      const f = fieldsOf(m);
      if (m.payload?.kind !== 'activate-firmware-response' || !f) return { success: false, error: 'unexpected-response', fields: {} };
      if (f.commandAccepted === true) return { success: true, fields: { accepted: true } };
      const responseCode = enumName(f.responseCode);
      const fields: JsonObject = { responseCode: responseCode ?? null, firmwareVersionHex: f.firmwareVersion ?? null };
      if (responseCode === 'success') return { success: true, fields };
      return { success: false, error: ACTIVATION_ERRORS[responseCode ?? ''] ?? 'unexpected-response', fields };
    },
  };
}

/** 11.2 to a PPMID: CS08, sent by the ACB for the supplier as the RTDS shows. */
const readPpmidFirmwareVersion: ServiceRequestDefinition = {
  srv: '11.2',
  name: 'Read Firmware Version (PPMID, CS08)',
  target: 'ppmid',
  build(_params, ctx) {
    if (!ctx.nextCounter) throw new RequestParamsError('CS08 is sent with the ACB counter: the head-end must hand it out (RequestContext.nextCounter)');
    const counter = ctx.nextCounter({ sender: 'acb' });
    const spec: Omit<CommandSpec, 'hub'> = { serviceRequest: '11.2', messageCode: 0x0129, target: deviceOf(ctx, 'ppmid'), payload: buildReadFirmwareVersionCommand(), critical: false, sender: 'acb', onBehalfOf: 'supplier', counter };
    return [spec];
  },
  interpret(m) {
    const f = fieldsOf(m);
    const responseCode = enumName(f?.responseCode);
    if (!f || responseCode === undefined) return { success: false, error: 'unexpected-response', fields: {} };
    const fields: JsonObject = { firmwareVersion: f.firmwareVersion ?? null, firmwareVersionHex: f.firmwareVersion ?? null, responseCode };
    return responseCode === 'readSuccess' ? { success: true, fields } : { success: false, error: 'read-failure', fields };
  },
};

export const FIRMWARE_SERVICE_REQUESTS: ServiceRequestDefinition[] = [...FIRMWARE_ROLES.map(updateFirmware), ...FIRMWARE_ROLES.map(activateFirmware), readPpmidFirmwareVersion];
