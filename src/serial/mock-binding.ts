// serialport's MockBinding for `tty2mqtt demo`. It is taken from `serialport`
// (SerialPortMock.binding), the CommonJS instance serialport itself uses: importing
// '@serialport/binding-mock' from ESM loads a second copy with its own, separate port
// registry. A module of its own so that `run` never loads it.
import { SerialPortMock } from 'serialport';

export const MockBinding = SerialPortMock.binding;
