// A plain subscriber that hands every message to a callback: the demo's live topic
// stream. Lives in mqtt/ because only this folder imports MQTT.js.
import { mqtt } from './mqtt-js.ts';

export interface WatchedMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
  qos: number;
}

export interface Watcher {
  stop(): Promise<void>;
}

export function watchTopics(url: string, filter: string, onMessage: (m: WatchedMessage) => void): Watcher {
  const client = mqtt.connect(url, { clientId: `tty2mqtt-watch-${process.pid}`, reconnectPeriod: 1000 });
  client.on('connect', () => {
    client.subscribe(filter, { qos: 1 });
  });
  client.on('message', (topic, payload, packet) => {
    onMessage({ topic, payload, retain: packet.retain, qos: packet.qos });
  });
  return {
    stop: () => new Promise<void>((resolve) => client.end(true, {}, () => resolve())),
  };
}
