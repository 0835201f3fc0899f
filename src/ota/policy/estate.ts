/** The estate: devices in the field as they report themselves, with any upgrade planned for them. */
import type { DeviceType } from './catalogue.ts';

export interface EstateDevice {
  /** EUI-64 or another identifier unique in the estate. */
  id: string;
  deviceType: DeviceType;
  model: string;
  manufacturerCode: number;
  hardwareVersion: number;
  /** The file version the device runs. */
  currentVersion: number;
  /** The image type the device reports (OTA cluster attribute ImageTypeID), when known. */
  imageType?: number | undefined;
  /** Enrolled in the candidate's field trial: may run, and be upgraded to, the N+1 candidate. */
  trial?: boolean | undefined;
  /** The file version an upgrade campaign plans to send it. */
  upgradeTo?: number | undefined;
}

export interface Estate {
  devices: EstateDevice[];
}
