// The naive gateway, written the way a user would write it from the
// serialport and MQTT.js READMEs: ReadlineParser on each port, split `k=v` pairs, one
// publish per field. No validation, no durability, no bounded memory: it is the baseline
// the e2e benchmark's ratios are against. (One concession: Nagle is turned off, the fix
// any user copies after seeing 40 ms spikes; without it the baseline's tail latency would
// flatter us.)
//
// Usage: node bench/naive-gateway.js <broker-url> <qos> <topic-prefix> <name>=<path>...
import process from 'node:process';
import mqtt from 'mqtt';
import { SerialPort } from 'serialport';
import { ReadlineParser } from '@serialport/parser-readline';

const [url, qosText, prefix, ...ports] = process.argv.slice(2);
const qos = Number(qosText);
const client = mqtt.connect(url);
client.on('connect', () => client.stream.setNoDelay?.(true));
client.on('error', (error) => console.error('mqtt error:', error.message));

for (const spec of ports) {
  const [name, path] = spec.split('=');
  const port = new SerialPort({ path, baudRate: 115200 });
  const lines = port.pipe(new ReadlineParser({ delimiter: '\n' }));
  lines.on('data', (line) => {
    for (const pair of line.trim().split(',')) {
      const [key, value] = pair.split('=');
      if (key && value !== undefined) client.publish(`${prefix}/${name}/${key}`, value, { qos });
    }
  });
  port.on('open', () => console.log(`opened ${name}`));
  port.on('error', (error) => console.error(`${name}: ${error.message}`));
}

process.on('SIGTERM', () => client.end(true, () => process.exit(0)));
