// Writes benchmark lines into the device ends of pty pairs from a worker thread (blocking
// writes, so the main thread stays free to count). Two modes:
//   burst:  `linesPerPort` copies of `temp=23.5,hum=40.2\n` per port, as fast as the ptys
//           take them (saturation);
//   paced:  `ratePerPort` lines/s per port for `durationMs`, each `temp=23.5,ts=<epoch ms>`
//           stamped when written (latency), catching up after a late timer tick.
// Posts {done: true, startedAtMs, linesWritten} when finished.
import { closeSync, openSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';

const { mode, paths, linesPerPort, ratePerPort, durationMs } = workerData;
const fds = paths.map((path) => openSync(path, 'w'));
const nowMs = () => performance.timeOrigin + performance.now();
let linesWritten = 0;

function writeAll(fd, buffer) {
  for (let off = 0; off < buffer.length;) off += writeSync(fd, buffer, off);
}

// A newline first, before the clock starts: a gateway rightly discards the first line it
// sees after opening a port (it may be the tail of a line sent before), so the first line
// must not be a reading. mosquitto_pub -l publishes it as an empty message.
for (const fd of fds) writeAll(fd, Buffer.from('\n'));
const startedAtMs = nowMs();

if (mode === 'burst') {
  const line = 'temp=23.5,hum=40.2\n';
  const perChunk = paths.length > 1 ? 256 : 1024;
  const chunk = Buffer.from(line.repeat(perChunk));
  for (let done = 0; done < linesPerPort; done += perChunk) {
    const n = Math.min(perChunk, linesPerPort - done);
    const part = n === perChunk ? chunk : chunk.subarray(0, n * line.length);
    for (const fd of fds) writeAll(fd, part);
    linesWritten += n * fds.length;
  }
} else {
  const sent = fds.map(() => 0);
  const start = nowMs();
  for (;;) {
    const elapsed = nowMs() - start;
    if (elapsed >= durationMs) break;
    const due = Math.floor((elapsed / 1000) * ratePerPort);
    fds.forEach((fd, i) => {
      for (; sent[i] < due; sent[i] += 1) {
        writeAll(fd, Buffer.from(`temp=23.5,ts=${nowMs().toFixed(3)}\n`));
        linesWritten += 1;
      }
    });
    await sleep(1);
  }
}
// The fds stay open until the run is over (the main thread says `close`): closing the last
// handle of a pty's device end makes socat see a hang-up and end the pair.
parentPort.postMessage({ done: true, startedAtMs, linesWritten });
parentPort.once('message', () => {
  for (const fd of fds) closeSync(fd);
  parentPort.close();
});
