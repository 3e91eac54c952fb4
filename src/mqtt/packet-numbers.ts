// mqtt-packet (the encoder under MQTT.js and aedes) caches a 2-byte Buffer for every number
// 0…65535 the first time it writes a packet: 65,536 Buffers, 6.7 MB of heap held for the
// life of the process, a quarter of an idle gateway's heap (docs/performance.md). Without
// the cache a packet id or topic length is written from a fresh 2-byte Buffer, which costs
// nothing measurable per message. The setting is global to the package, so it is made once,
// before the first packet is written: when this module is loaded.
import type * as MqttPacket from 'mqtt-packet';
import { requireCjs } from '../require-cjs.ts';

// require(), not import: src/require-cjs.ts.
const { writeToStream } = requireCjs('mqtt-packet') as typeof MqttPacket;

writeToStream.cacheNumbers = false;

/** Whether packets are written without the number cache (for the test that guards it). */
export function packetNumbersUncached(): boolean {
  return !writeToStream.cacheNumbers;
}
