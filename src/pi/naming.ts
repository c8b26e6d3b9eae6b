// Names for boards: the inventory's serial → name map first, else `<prefix>-<last 8 hex digits of the serial>`
// (the short serial Raspberry Pi tools print), else `<prefix>-<last 6 hex digits of the first MAC>`. Pure.
import { normalizeSerial } from './settings.js';

export interface NameSource {
  names: ReadonlyMap<string, string>;
  namePrefix: string;
}

/** The last `n` hex digits of a serial, zero-padded as /proc/cpuinfo prints it ("a1b2" → "0000a1b2"). */
export function serialTail(serial: string, n = 8): string {
  const s = serial.trim().toLowerCase();
  return s.padStart(n, '0').slice(-n);
}

export function boardName(board: { serial?: string; macs?: { mac: string }[] }, src: NameSource): { name: string; from: 'inventory' | 'serial' | 'mac' } | undefined {
  if (board.serial) {
    const listed = src.names.get(normalizeSerial(board.serial));
    if (listed) return { name: listed, from: 'inventory' };
    return { name: `${src.namePrefix}-${serialTail(board.serial)}`, from: 'serial' };
  }
  const mac = board.macs?.map((m) => m.mac).find((m) => m !== '00:00:00:00:00:00');
  if (mac) return { name: `${src.namePrefix}-${mac.replace(/:/g, '').slice(-6)}`, from: 'mac' };
  return undefined;
}
