// The device end of a tty, for the simulated devices (`tty2mqtt simulate`, the integration
// tests): a serialport stream with events and write callbacks, where the gateway's own side
// works on the binding (open.ts). Its own file so the gateway never loads the stream package.
import { SerialPort } from 'serialport';
import { ErrorCodes, GatewayError } from '../errors.ts';

/** The device end of a tty: a serialport stream. */
export type SerialStream = SerialPort;

/**
 * Opens `path` for a simulated device: 8N1 and raw like openPort (node-serialport always sets
 * raw termios, so MQTT-SN octets pass unmodified, MQTT-SN notes §2.1), exclusive, and
 * hupcl: false so closing the tty does not signal a hang-up to the other side.
 */
export function openSerialStream(path: string, baudRate: number): Promise<SerialStream> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, autoOpen: false, hupcl: false });
    port.open((error) => {
      if (error === null || error === undefined) resolve(port);
      else
        reject(
          new GatewayError(ErrorCodes.PORT_OPEN_FAILED, `cannot open ${path}: ${error.message}`, {
            cause: error,
          }),
        );
    });
  });
}

/** Sends what is still buffered, then closes; resolves at once when the port is not open. */
export function closeSerialStream(port: SerialStream): Promise<void> {
  if (!port.isOpen) return Promise.resolve();
  return new Promise((resolve) => {
    port.drain(() => port.close(() => resolve()));
  });
}
