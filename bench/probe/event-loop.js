// Preloaded into a Node contender (`node --import ./bench/probe/event-loop.js …`) to
// measure its event-loop delay the same way for every one of them, without touching its
// code. SIGUSR2 writes the delay percentiles since the previous SIGUSR2 to
// $BENCH_PROBE_FILE (JSON) and starts a new window.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import process from 'node:process';

const file = process.env.BENCH_PROBE_FILE;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  process.on('SIGUSR2', () => {
    const ms = (ns) => ns / 1e6;
    const report = {
      p50Ms: ms(histogram.percentile(50)),
      p99Ms: ms(histogram.percentile(99)),
      maxMs: ms(histogram.max),
      samples: histogram.count,
      memory: process.memoryUsage(),
    };
    writeFileSync(file, JSON.stringify(report));
    histogram.reset();
  });
}
