// listPorts() reads sysfs and /dev/serial itself (serialport's list() needs udevadm).
// The fake tree below is laid out like a real one, with real symlinks: class/tty entries
// link into devices/, `device` and `driver` are relative links, by-id links point at ../../ttyX.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { formatPortList, listPorts } from '../../../src/serial/list.ts';
import type { PortInfo } from '../../../src/serial/list.ts';

let root = '';
const usb = 'devices/pci0000:00/0000:00:14.0/usb1';

async function file(rel: string, content = ''): Promise<void> {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await writeFile(path.join(root, rel), content);
}

async function link(rel: string, target: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await symlink(target, path.join(root, rel));
}

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'tty2mqtt-sysfs-'));
  // Drivers.
  for (const d of [
    'bus/usb/drivers/cdc_acm',
    'bus/usb-serial/drivers/ch341-uart',
    'bus/pnp/drivers/serial',
  ]) {
    await mkdir(path.join(root, 'sys', d), { recursive: true });
  }
  // An Arduino Uno on cdc_acm: ttyACM0 under the USB interface 1-1:1.0 of device 1-1.
  await file(`sys/${usb}/1-1/idVendor`, '2341\n');
  await file(`sys/${usb}/1-1/idProduct`, '0043\n');
  await file(`sys/${usb}/1-1/serial`, '85734323231351F0A1E1\n');
  await file(`sys/${usb}/1-1/manufacturer`, 'Arduino (www.arduino.cc)\n');
  await link(`sys/${usb}/1-1/1-1:1.0/driver`, '../../../../../../bus/usb/drivers/cdc_acm');
  await file(`sys/${usb}/1-1/1-1:1.0/tty/ttyACM0/dev`, '166:0\n');
  await link(`sys/${usb}/1-1/1-1:1.0/tty/ttyACM0/device`, '../../../1-1:1.0');
  await link('sys/class/tty/ttyACM0', `../../${usb}/1-1/1-1:1.0/tty/ttyACM0`);
  // A CH340 clone (no serial number): ttyUSB0 under a usb-serial port device.
  await file(`sys/${usb}/1-2/idVendor`, '1a86\n');
  await file(`sys/${usb}/1-2/idProduct`, '7523\n');
  await file(`sys/${usb}/1-2/product`, 'USB Serial\n');
  await link(
    `sys/${usb}/1-2/1-2:1.0/ttyUSB0/driver`,
    '../../../../../../../bus/usb-serial/drivers/ch341-uart',
  );
  await file(`sys/${usb}/1-2/1-2:1.0/ttyUSB0/tty/ttyUSB0/dev`, '188:0\n');
  await link(`sys/${usb}/1-2/1-2:1.0/ttyUSB0/tty/ttyUSB0/device`, '../../../ttyUSB0');
  await link('sys/class/tty/ttyUSB0', `../../${usb}/1-2/1-2:1.0/ttyUSB0/tty/ttyUSB0`);
  // A real 16550A (type 4) and an empty legacy slot (type 0).
  await link('sys/devices/pnp0/00:04/driver', '../../../bus/pnp/drivers/serial');
  await file('sys/devices/pnp0/00:04/tty/ttyS0/type', '4\n');
  await link('sys/devices/pnp0/00:04/tty/ttyS0/device', '../../../00:04');
  await link('sys/class/tty/ttyS0', '../../devices/pnp0/00:04/tty/ttyS0');
  await file('sys/devices/platform/serial8250/tty/ttyS1/type', '0\n');
  await link('sys/devices/platform/serial8250/tty/ttyS1/device', '../../../serial8250');
  await link('sys/class/tty/ttyS1', '../../devices/platform/serial8250/tty/ttyS1');
  // Virtual ttys have no `device` link.
  await file('sys/devices/virtual/tty/tty0/dev', '4:0\n');
  await link('sys/class/tty/tty0', '../../devices/virtual/tty/tty0');
  await file('sys/devices/virtual/tty/ptmx/dev', '5:2\n');
  await link('sys/class/tty/ptmx', '../../devices/virtual/tty/ptmx');
  // /dev with udev's links.
  for (const n of ['ttyACM0', 'ttyUSB0', 'ttyS0', 'ttyS1', 'tty0', 'ptmx']) await file(`dev/${n}`);
  await link('dev/serial/by-id/usb-Arduino__www.arduino.cc__0043_85734323231351F0A1E1-if00', '../../ttyACM0');
  await link('dev/serial/by-id/usb-1a86_USB_Serial-if00-port0', '../../ttyUSB0');
  await link('dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0', '../../ttyACM0');
  await link('dev/serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0', '../../ttyUSB0');
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

function expected(): PortInfo[] {
  const dev = path.join(root, 'dev');
  return [
    {
      path: `${dev}/ttyACM0`,
      byId: `${dev}/serial/by-id/usb-Arduino__www.arduino.cc__0043_85734323231351F0A1E1-if00`,
      byPath: `${dev}/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0`,
      vendorId: '2341',
      productId: '0043',
      serialNumber: '85734323231351F0A1E1',
      manufacturer: 'Arduino (www.arduino.cc)',
      product: null,
      driver: 'cdc_acm',
    },
    {
      path: `${dev}/ttyS0`,
      byId: null,
      byPath: null,
      vendorId: null,
      productId: null,
      serialNumber: null,
      manufacturer: null,
      product: null,
      driver: 'serial',
    },
    {
      path: `${dev}/ttyUSB0`,
      byId: `${dev}/serial/by-id/usb-1a86_USB_Serial-if00-port0`,
      byPath: `${dev}/serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0`,
      vendorId: '1a86',
      productId: '7523',
      serialNumber: null,
      manufacturer: null,
      product: 'USB Serial',
      driver: 'ch341-uart',
    },
  ];
}

void test('listPorts finds USB and real UART ports, skips virtual ttys and empty ttyS slots', async () => {
  const ports = await listPorts({ sysRoot: path.join(root, 'sys'), devRoot: path.join(root, 'dev') });
  assert.deepEqual(ports, expected());
});

void test('listPorts on a machine without sysfs or /dev/serial returns nothing, without throwing', async () => {
  assert.deepEqual(
    await listPorts({ sysRoot: path.join(root, 'nope'), devRoot: path.join(root, 'nope') }),
    [],
  );
  // sysfs present but no /dev/serial (no udev): ports are still listed, without links.
  const ports = await listPorts({ sysRoot: path.join(root, 'sys'), devRoot: path.join(root, 'nodev') });
  assert.deepEqual(
    ports.map((p) => [p.path, p.byId]),
    [
      [path.join(root, 'nodev/ttyACM0'), null],
      [path.join(root, 'nodev/ttyS0'), null],
      [path.join(root, 'nodev/ttyUSB0'), null],
    ],
  );
});

void test('formatPortList prints one row per port with its by-id link', () => {
  const text = formatPortList(
    expected().map((p) => ({
      ...p,
      path: p.path.replace(root, ''),
      byId: p.byId?.replace(root, '') ?? null,
    })),
  );
  const lines = text.split('\n');
  assert.match(lines[0] ?? '', /^PATH\s+VID:PID\s+SERIAL\s+DESCRIPTION\s+DRIVER$/);
  assert.match(
    lines[1] ?? '',
    /^\/dev\/ttyACM0\s+2341:0043\s+85734323231351F0A1E1\s+Arduino \(www\.arduino\.cc\)\s+cdc_acm$/,
  );
  assert.equal(
    lines[2],
    '    by-id: /dev/serial/by-id/usb-Arduino__www.arduino.cc__0043_85734323231351F0A1E1-if00',
  );
  assert.match(lines[3] ?? '', /^\/dev\/ttyS0\s+-\s+-\s+-\s+serial$/);
  assert.match(lines[4] ?? '', /^\/dev\/ttyUSB0\s+1a86:7523\s+-\s+USB Serial\s+ch341-uart$/);
  assert.match(text, /Use the by-id path/);
});

void test('formatPortList with no ports gives hints instead of an empty table', () => {
  const text = formatPortList([]);
  assert.match(text, /^No serial ports found\./);
  assert.match(text, /plugged in/);
  assert.match(text, /dialout/);
});
