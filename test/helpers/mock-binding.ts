// serialport's MockBinding (what the demo runs on), remembering the port bindings it opened so
// a test can emitData on them and read what was written (createPort(…, { record: true })).
import type { BindingInterface, OpenOptions } from '@serialport/bindings-cpp';
import { SerialPortMock } from 'serialport';

export const MockBinding = SerialPortMock.binding;

export interface OpenedMockPort {
  emitData(data: string): void;
  recording: Buffer;
  readonly isOpen: boolean;
}

export function spyOnMock(): { binding: BindingInterface; opened: OpenedMockPort[] } {
  const opened: OpenedMockPort[] = [];
  const binding: BindingInterface = {
    list: () => MockBinding.list(),
    async open(options: OpenOptions) {
      const port = await MockBinding.open(options);
      opened.push(port);
      return port;
    },
  };
  return { binding, opened };
}
