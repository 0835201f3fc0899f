import type { Clock } from '../../src/time/clock.ts';
import type { CommsHub } from '../chf.ts';
import type { HanDevice } from '../core/han-device.ts';

/**
 * How long a HAN device takes to notice its hub is gone: ZigBee PRO neighbours exchange link status every 15 s
 * and give a neighbour up after three silent periods.
 */
export const PARENT_LOSS_MS = 3 * 15_000;

/**
 * The hub loses power for good (a hub replacement, 8.12.1). The devices joined to it notice when its link status
 * stops: each has lost its network PARENT_LOSS_MS later, unless the hub came back meanwhile.
 */
export function powerOffHub(hub: CommsHub, clock: Clock, neighbours: Iterable<HanDevice>): void {
  hub.powerOff();
  for (const device of neighbours) {
    if (device.hub !== hub.eui || device.network !== 'joined') continue;
    clock.setTimer(PARENT_LOSS_MS, () => {
      if (!hub.powered && device.hub === hub.eui) device.networkLost();
    });
  }
}
