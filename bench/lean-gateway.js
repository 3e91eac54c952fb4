// The floor of a Node gateway on MQTT.js, for the e2e benchmark: the cheapest read path
// (a libuv-polled tty.ReadStream, no thread pool) and one MQTT.js publish per `k=v` field,
// MQTT 5, Nagle off. No validation, no queue, no bounds: nothing tty2mqtt does beyond
// reading and publishing. What it costs per line is what MQTT.js and Node cost; the
// difference to tty2mqtt is what our own work costs. (LEAN_MODE=read: reading only.)
//
// LEAN_FLOW=receive-maximum makes it a compliant MQTT 5 client: at most the broker's Receive
// Maximum QoS 1 PUBLISHes unacknowledged (MQTT 5 §3.3.4, §4.9), the rest waiting in memory
// and sent one per PUBACK. MQTT.js leaves that limit to its user; a broker's window bounds
// every compliant client the same way, so this is the floor tty2mqtt is held to there.
//
// Usage: node bench/lean-gateway.js <broker-url> <qos> <topic-prefix> <name>=<path>...
import fs from 'node:fs';
import tty from 'node:tty';
import process from 'node:process';
import mqtt from 'mqtt';
const [url, qosText, prefix, ...ports] = process.argv.slice(2);
const qos = Number(qosText);
const mode = process.env.LEAN_MODE ?? 'mqtt';
const honoursWindow = process.env.LEAN_FLOW === 'receive-maximum' && qos > 0;
const client = mqtt.connect(url, { protocolVersion: 5 });
let window = Number.POSITIVE_INFINITY;
client.on('connect', (connack) => {
  client.stream.setNoDelay?.(true);
  if (honoursWindow) window = connack.properties?.receiveMaximum ?? 65535;
});
let inFlight = 0;
/** Topics and values waiting for a free slot, in pairs; `head` is the next to send. */
let waiting = [];
let head = 0;
const acknowledged = () => {
  inFlight -= 1;
  if (head === waiting.length) return;
  const topic = waiting[head];
  const value = waiting[head + 1];
  head += 2;
  if (head === waiting.length) [waiting, head] = [[], 0];
  send(topic, value);
};
function send(topic, value) {
  if (!honoursWindow) return void client.publish(topic, value, { qos });
  if (inFlight >= window) return void waiting.push(topic, value);
  inFlight += 1;
  client.publish(topic, value, { qos }, acknowledged);
}
for (const spec of ports) {
  const [name, path] = spec.split('=');
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
  const stream = new tty.ReadStream(fd);
  let rest = '';
  stream.on('data', (chunk) => {
    const lines = (rest + chunk.toString('latin1')).split('\n');
    rest = lines.pop();
    if (mode === 'read') return;
    for (const line of lines)
      for (const pair of line.split(',')) {
        const [k, v] = pair.split('=');
        send(`${prefix}/${name}/${k}`, v);
      }
  });
  console.log(`opened ${name}`);
}
process.on('SIGTERM', () => client.end(true, () => process.exit(0)));
