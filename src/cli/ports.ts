// `tty2mqtt ports`: the serial ports of this machine with their stable /dev/serial/by-id
// links (docs/contract.md §1). Read from sysfs: serialport's own list() needs udevadm.
import { formatPortList, listPorts } from '../serial/list.ts';
import type { CommandContext } from './context.ts';

export async function portsCommand(context: CommandContext): Promise<number> {
  const ports = await listPorts();
  context.stdout.write(`${formatPortList(ports)}\n`);
  return 0;
}
