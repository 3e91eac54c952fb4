// The simulated MQTT-SN client on a real tty — typically one end of a socat pty pair whose
// other end the gateway reads — for `tty2mqtt simulate` and the integration tests.
// The port is opened by serial/open-stream.ts (raw, hupcl: false).
import { closeSerialStream, openSerialStream } from '../serial/open-stream.ts';
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
  const port = await openSerialStream(path, baudRate);
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
        await closeSerialStream(port);
        port.off('error', onPortError);
      })();
      return closing;
    },
  };
}
