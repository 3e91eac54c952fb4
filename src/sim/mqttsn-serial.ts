// The simulated MQTT-SN client on a real tty — typically one end of a socat pty pair whose
// other end the gateway reads — for `tty2mqtt simulate` and the integration tests.
// hupcl: false so closing the tty does not signal a hang-up to the other side; node-serialport
// opens the port raw (no ICRNL, MQTT-SN notes §2.1), so octets pass unmodified.
import { SerialPort } from 'serialport';
import { ErrorCodes, GatewayError } from '../errors.ts';
import { MqttSnClient, type MqttSnClientOptions } from './mqttsn-client/client.ts';

export interface MqttSnTtyOptions extends Omit<MqttSnClientOptions, 'write'> {
  /** Default 115200. */
  baudRate?: number;
  /** A write to the port failed, or the port reported an error. Default: ignored (T_retry recovers). */
  onError?: (error: Error) => void;
}

export interface MqttSnTtyClient {
  client: MqttSnClient;
  /** Stops the client (all timers), then drains and closes the port. */
  close(): Promise<void>;
}

export async function openMqttSnClientOnTty(
  path: string,
  options: MqttSnTtyOptions,
): Promise<MqttSnTtyClient> {
  const { baudRate = 115200, onError, ...clientOptions } = options;
  const port = await openPort(path, baudRate);
  const client = new MqttSnClient({
    ...clientOptions,
    write: (bytes) => {
      port.write(bytes, (error) => {
        if (error !== null && error !== undefined) onError?.(error);
      });
    },
  });
  const onData = (chunk: Buffer): void => client.onInput(chunk);
  const onPortError = (error: Error): void => onError?.(error);
  port.on('data', onData);
  port.on('error', onPortError);
  let closing: Promise<void> | undefined;
  return {
    client,
    close() {
      closing ??= (async () => {
        client.stop();
        port.off('data', onData);
        await closePort(port);
        port.off('error', onPortError);
      })();
      return closing;
    },
  };
}

function openPort(path: string, baudRate: number): Promise<SerialPort> {
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

function closePort(port: SerialPort): Promise<void> {
  if (!port.isOpen) return Promise.resolve();
  return new Promise((resolve) => {
    port.drain(() => port.close(() => resolve()));
  });
}
