// `tty2mqtt ports` (docs/contract.md §1): the machine's serial ports with their stable
// /dev/serial/by-id links, read straight from sysfs. serialport's own list() spawns
// `udevadm`, which minimal images lack — and its spawn error crashes the process.
//
// What counts as a port: an entry of /sys/class/tty with a `device` link (virtual ttys —
// tty0…63, console, ptmx, ptys — have none). Legacy ttyS* slots always exist; one is listed
// only when its `type` attribute names a UART (not 0 = PORT_UNKNOWN: no chip behind it).
import { readdir, readFile, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';

export interface PortInfo {
  /** The device node, e.g. /dev/ttyACM0. */
  path: string;
  /** The /dev/serial/by-id link to it: the name to put in gateway.yaml (survives re-plugging). */
  byId: string | null;
  byPath: string | null;
  vendorId: string | null;
  productId: string | null;
  serialNumber: string | null;
  manufacturer: string | null;
  product: string | null;
  /** The kernel driver: cdc_acm, ch341, ftdi_sio, cp210x, serial8250, … */
  driver: string | null;
}

export interface ListOptions {
  /** Default /sys. */
  sysRoot?: string;
  /** Default /dev. */
  devRoot?: string;
}

/** How far up from the tty's device the USB device (with idVendor) is looked for. */
const MAX_USB_DEPTH = 6;

export async function listPorts(options: ListOptions = {}): Promise<PortInfo[]> {
  const sysRoot = options.sysRoot ?? '/sys';
  const devRoot = options.devRoot ?? '/dev';
  const classDir = path.join(sysRoot, 'class', 'tty');
  const names = await readdir(classDir).catch(() => [] as string[]);
  const byId = await linksByTarget(path.join(devRoot, 'serial', 'by-id'));
  const byPath = await linksByTarget(path.join(devRoot, 'serial', 'by-path'));
  const ports: PortInfo[] = [];
  for (const name of names) {
    const ttyDir = path.join(classDir, name);
    const device = await realpath(path.join(ttyDir, 'device')).catch(() => null);
    if (device === null) continue;
    if (name.startsWith('ttyS') && !(await hasUart(ttyDir))) continue;
    const usb = await findUsbDevice(device, sysRoot);
    const attr = (file: string): Promise<string | null> =>
      usb === null ? Promise.resolve(null) : readAttr(path.join(usb, file));
    const devPath = path.join(devRoot, name);
    ports.push({
      path: devPath,
      byId: byId.get(devPath) ?? null,
      byPath: byPath.get(devPath) ?? null,
      vendorId: await attr('idVendor'),
      productId: await attr('idProduct'),
      serialNumber: await attr('serial'),
      manufacturer: await attr('manufacturer'),
      product: await attr('product'),
      driver: await driverOf(device),
    });
  }
  return ports.sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
}

/** The readable table printed by `tty2mqtt ports`, or a hint when there is nothing to show. */
export function formatPortList(ports: readonly PortInfo[]): string {
  if (ports.length === 0) {
    return [
      'No serial ports found.',
      '  - Is the board plugged in, with a data cable (not a charge-only one)?',
      '  - Does `dmesg | tail` show a ttyACM*/ttyUSB* device when you plug it in?',
      '  - To open a port you need to be in the dialout group: sudo usermod -aG dialout $USER',
      '    (then log in again).',
      '  - In a container, pass the device through (docker run --device /dev/ttyACM0 …).',
    ].join('\n');
  }
  const rows = ports.map((p) => [
    p.path,
    p.vendorId === null ? '-' : `${p.vendorId}:${p.productId ?? '????'}`,
    p.serialNumber ?? '-',
    [p.manufacturer, p.product].filter((s) => s !== null).join(' ') || '-',
    p.driver ?? '-',
  ]);
  const header = ['PATH', 'VID:PID', 'SERIAL', 'DESCRIPTION', 'DRIVER'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const out = [line(header)];
  ports.forEach((p, i) => {
    out.push(line(rows[i] ?? []));
    if (p.byId !== null) out.push(`    by-id: ${p.byId}`);
  });
  if (ports.some((p) => p.byId !== null)) {
    out.push(
      '',
      'Use the by-id path as `path:` in gateway.yaml: it stays the same when the board is re-plugged.',
    );
  }
  return out.join('\n');
}

/** Symlinks in `dir` keyed by the absolute path they point to (first name wins, sorted). */
async function linksByTarget(dir: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  const names = (await readdir(dir).catch(() => [] as string[])).sort();
  for (const name of names) {
    const link = path.join(dir, name);
    const target = await readlink(link).catch(() => null);
    if (target === null) continue;
    const absolute = path.resolve(dir, target);
    if (!map.has(absolute)) map.set(absolute, link);
  }
  return map;
}

/** ttyS*: 0 (PORT_UNKNOWN) or an unreadable `type` means a slot with no UART behind it. */
async function hasUart(ttyDir: string): Promise<boolean> {
  const type = await readAttr(path.join(ttyDir, 'type'));
  return type !== null && type !== '0';
}

/** Walks up from the tty's device (a USB interface or usb-serial port) to the USB device. */
async function findUsbDevice(device: string, sysRoot: string): Promise<string | null> {
  const stop = await realpath(sysRoot).catch(() => path.resolve(sysRoot));
  let dir = device;
  for (let depth = 0; depth <= MAX_USB_DEPTH && dir.startsWith(stop) && dir !== stop; depth += 1) {
    if ((await readAttr(path.join(dir, 'idVendor'))) !== null) return dir;
    dir = path.dirname(dir);
  }
  return null;
}

async function driverOf(device: string): Promise<string | null> {
  const target = await realpath(path.join(device, 'driver')).catch(() => null);
  return target === null ? null : path.basename(target);
}

async function readAttr(file: string): Promise<string | null> {
  const text = await readFile(file, 'utf8').catch(() => null);
  const value = text?.trim() ?? '';
  return value === '' ? null : value;
}
