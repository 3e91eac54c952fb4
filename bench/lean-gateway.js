// The floor of a Node gateway on MQTT.js, for the e2e benchmark: the cheapest read path
// (a libuv-polled tty.ReadStream, no thread pool) and one MQTT.js publish per `k=v` field,
// MQTT 5, Nagle off. No validation, no queue, no bounds: nothing tty2mqtt does beyond
// reading and publishing. What it costs per line is what MQTT.js and Node cost; the
// difference to tty2mqtt is what our own work costs. (LEAN_MODE=read: reading only.)
//
// Usage: node bench/lean-gateway.js <broker-url> <qos> <topic-prefix> <name>=<path>...
import fs from 'node:fs';
import tty from 'node:tty';
import process from 'node:process';
import mqtt from 'mqtt';
const [url, qosText, prefix, ...ports] = process.argv.slice(2);
const qos = Number(qosText);
const mode = process.env.LEAN_MODE ?? 'mqtt';
const client = mqtt.connect(url, { protocolVersion: 5 });
client.on('connect', () => client.stream.setNoDelay?.(true));
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
        client.publish(`${prefix}/${name}/${k}`, v, { qos });
      }
  });
  console.log(`opened ${name}`);
}
process.on('SIGTERM', () => client.end(true, () => process.exit(0)));
