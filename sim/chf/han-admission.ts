import type { Eui } from '../../src/crypto/eui.ts';
import { equalBytes } from '../../src/bytes.ts';
import type { Random } from '../../src/time/random.ts';
import { hashTcLinkKey, installCodeKey, joinProof, rejoinProof } from '../core/han.ts';
import type { DeviceLogEntry, LinkQuality } from './device-log.ts';

/** Who the hub lets onto its HAN: a join proves the install code CCS01 gave, a rejoin the TC link key held. */

export type Admission = { ok: true; hashedTcLinkKey: Uint8Array } | { ok: false; reason: string };

interface Proof {
  device: Eui;
  nonce: Uint8Array;
  proof: Uint8Array;
}

export function admitJoin(entry: DeviceLogEntry | undefined, request: Proof, hub: Eui, now: number): Admission {
  if (!entry) return { ok: false, reason: `${request.device} is not in the device log` };
  if (!entry.installCode) return { ok: false, reason: `the device log holds no install code for ${request.device}, only its link key (a rejoin)` };
  // Once a TC link key is established the device may join again later; before, only within CCS01's join_timeout.
  if (!entry.hashedTcLinkKey && entry.joinWindowEndsAt !== undefined && now > entry.joinWindowEndsAt) {
    return { ok: false, reason: `joining closed for ${request.device} (the join_timeout of CCS01 has passed)` };
  }
  if (!equalBytes(joinProof(entry.installCode, request.device, hub, request.nonce), request.proof)) return { ok: false, reason: 'install code proof does not match the device log' };
  return { ok: true, hashedTcLinkKey: hashTcLinkKey(installCodeKey(entry.installCode)) };
}

export function admitRejoin(entry: DeviceLogEntry | undefined, request: Proof, hub: Eui): Admission {
  if (!entry) return { ok: false, reason: `${request.device} is not in the device log` };
  const key = entry.hashedTcLinkKey;
  if (!key) return { ok: false, reason: `no TC link key is established with ${request.device}` };
  if (!equalBytes(rejoinProof(key, request.device, hub, request.nonce), request.proof)) return { ok: false, reason: 'rejoin proof does not match the TC link key hash in the device log' };
  return { ok: true, hashedTcLinkKey: key };
}

/**
 * The radio link to a device, fixed when it first joins (from the hub's random stream, so seeded runs agree):
 * RSSI in dBm around an average of −80…−40, LQI around 150…250.
 */
export function linkQualityFor(random: Random): LinkQuality {
  const rssi = random.int(-80, -40);
  const lqi = random.int(150, 250);
  return {
    rssi: { min: rssi - random.int(0, 15), average: rssi, max: rssi + random.int(0, 10) },
    lqi: { min: lqi - random.int(0, 40), average: lqi, max: Math.min(255, lqi + random.int(0, 20)) },
  };
}
