// Medians over the alternating repetitions, ratios to the baseline of the same run, the
// printed table and the performance goals (docs/performance.md) checked against them. A
// scenario whose baseline varied by more than 20 % between repetitions is not summarised:
// the machine was not quiet, and its ratios would be noise.
import type { Contender } from './contenders.ts';
import type { Metrics, Scenario } from './run.ts';

export interface Cell {
  scenario: string;
  contender: string;
  baseline: string;
  runs: Metrics[];
  median: Metrics;
  min: Metrics;
  max: Metrics;
  /** median ÷ the baseline's median, per metric. */
  ratio: Metrics;
  /** Set when the scenario's baseline varied too much: no ratio of it is evidence. */
  noisy?: string;
}

/** The largest spread ((max − min) ÷ median) of a baseline's runs that is still evidence. */
export const MAX_BASELINE_SPREAD = 0.2;

const LABELS: Record<string, string> = {
  linesPerS: 'lines/s',
  messagesPerS: 'messages/s',
  lost: 'lost messages',
  latencyP50Ms: 'latency p50 ms',
  latencyP99Ms: 'latency p99 ms',
  latencyMaxMs: 'latency max ms',
  cpuSPer100kLines: 'CPU s/100k lines',
  cpuUsPerLine: 'CPU µs/line',
  cpuPercent: 'CPU % of a core',
  steadyRssMb: 'steady RSS MB',
  peakRssMb: 'peak RSS MB',
  eventLoopP99Ms: 'event-loop p99 ms',
  diskBytesPerMessage: 'disk bytes/message',
  brokerCpuUsPerLine: 'Mosquitto CPU µs/line',
  brokerCpuPercent: 'Mosquitto CPU % of a core',
  loadStart: 'load average (1 min) at start',
  loadEnd: 'load average (1 min) at end',
};

/** The figure a scenario's baseline must repeat within MAX_BASELINE_SPREAD. */
function keyMetric(scenario: Scenario): string {
  return scenario.kind === 'burst' ? 'linesPerS' : scenario.kind === 'paced' ? 'cpuUsPerLine' : 'steadyRssMb';
}

export function summarise(scenario: Scenario, contenders: Contender[], runs: Map<string, Metrics[]>): Cell[] {
  const stats = (id: string): Pick<Cell, 'median' | 'min' | 'max'> => {
    const list = runs.get(id) ?? [];
    const keys = [...new Set(list.flatMap((m) => Object.keys(m)))];
    const pick = (f: (v: number[]) => number): Metrics =>
      Object.fromEntries(
        keys.map((k) => [k, f(list.map((m) => m[k] ?? Number.NaN).filter(Number.isFinite))]),
      );
    return { median: pick(median), min: pick((v) => Math.min(...v)), max: pick((v) => Math.max(...v)) };
  };
  // Every baseline of the scenario must have repeated itself, or nothing is summarised.
  const key = keyMetric(scenario);
  let noisy: string | undefined;
  for (const id of new Set(contenders.map((c) => c.baseline))) {
    const { median: m, min, max } = stats(id);
    const spread = ((max[key] ?? NaN) - (min[key] ?? NaN)) / (m[key] ?? NaN);
    if (spread > MAX_BASELINE_SPREAD)
      noisy = `${id}'s ${LABELS[key] ?? key} varied ${(spread * 100).toFixed(0)} % between repetitions (limit ${MAX_BASELINE_SPREAD * 100} %)`;
  }
  return contenders.map((c) => {
    const own = stats(c.id);
    const base = stats(c.baseline).median;
    const ratio = Object.fromEntries(
      Object.entries(own.median).map(([k, v]) => [k, v / (base[k] ?? Number.NaN)]),
    );
    return {
      scenario: scenario.id,
      contender: c.id,
      baseline: c.baseline,
      runs: runs.get(c.id) ?? [],
      ...own,
      ratio,
      ...(noisy === undefined ? {} : { noisy }),
    };
  });
}

export function printScenario(title: string, cells: Cell[]): void {
  console.log(`\n${title}`);
  const noisy = cells.find((c) => c.noisy !== undefined)?.noisy;
  if (noisy !== undefined) {
    console.log(`  NOT SUMMARISED: ${noisy}; the machine was not quiet. Run it again.`);
    return;
  }
  const metrics = [...new Set(cells.flatMap((c) => Object.keys(c.median)))];
  const width = Math.max(...cells.map((c) => c.contender.length));
  for (const metric of metrics) {
    console.log(`  ${LABELS[metric] ?? metric}`);
    for (const cell of cells) {
      const m = cell.median[metric];
      if (m === undefined || Number.isNaN(m)) continue;
      const range = `${fmt(cell.min[metric])}–${fmt(cell.max[metric])}`;
      const ratio =
        cell.contender === cell.baseline
          ? 'baseline'
          : `${(cell.ratio[metric] ?? NaN).toFixed(2)}× ${cell.baseline}`;
      console.log(
        `    ${cell.contender.padEnd(width)}  ${fmt(m).padStart(10)}  (${range})`.padEnd(width + 44) + ratio,
      );
    }
  }
}

export interface Goal {
  goal: string;
  value: number;
  limit: number;
  met: boolean;
}

/**
 * The performance goals (docs/performance.md), where the run measured what they need.
 * Scenarios that were not summarised (a noisy baseline) check nothing.
 */
export function checkGoals(cells: Cell[]): Goal[] {
  const goals: Goal[] = [];
  const quiet = cells.filter((c) => c.noisy === undefined);
  const find = (scenario: string, contender: string): Cell | undefined =>
    quiet.find((c) => c.scenario === scenario && c.contender === contender);
  const add = (goal: string, value: number | undefined, limit: number, atLeast: boolean): void => {
    if (value === undefined || Number.isNaN(value)) return;
    goals.push({ goal, value, limit, met: atLeast ? value >= limit : value <= limit });
  };
  const ratio = (scenario: string, contender: string, other: string, metric: string): number | undefined => {
    const own = find(scenario, contender)?.median[metric];
    const base = find(scenario, other)?.median[metric];
    return own === undefined || base === undefined ? undefined : own / base;
  };
  const q1 = 'tty2mqtt-q1-normal';
  // 1. A realistic site: CPU near the Node floor and a C client, memory no more than naive.
  add('steady-8x300: CPU/line ÷ lean-q1', ratio('steady-8x300', q1, 'lean-q1', 'cpuUsPerLine'), 1.25, false);
  add(
    'steady-8x300: CPU/line ÷ mosquitto_pub-q1',
    ratio('steady-8x300', q1, 'mosquitto_pub-q1', 'cpuUsPerLine'),
    1.5,
    false,
  );
  add('steady-8x300: peak RSS ÷ naive-q1', ratio('steady-8x300', q1, 'naive-q1', 'peakRssMb'), 1, false);
  // 2. One fast port: cheaper than naive, and no slower.
  add('steady-1000: CPU/line ÷ naive-q1', ratio('steady-1000', q1, 'naive-q1', 'cpuUsPerLine'), 0.8, false);
  add('steady-1000: latency p99 ÷ naive-q1', ratio('steady-1000', q1, 'naive-q1', 'latencyP99Ms'), 1, false);
  // 3. Saturation: most of naive's rate, without paying for it in disk writes or drops.
  add('saturated-1: QoS 1 lines/s ÷ naive-q1', ratio('saturated-1', q1, 'naive-q1', 'linesPerS'), 0.8, true);
  // Ours: within the broker's window (MQTT 5 Receive Maximum), as fast as the Node floor that
  // keeps to it. naive speaks MQTT 3.1.1, which has no such window.
  add(
    'saturated-1: QoS 1 lines/s ÷ lean-rm-q1',
    ratio('saturated-1', q1, 'lean-rm-q1', 'linesPerS'),
    0.9,
    true,
  );
  add(
    'saturated-1: QoS 1 disk bytes/message',
    find('saturated-1', q1)?.median['diskBytesPerMessage'],
    200,
    false,
  );
  add(
    'saturated-1: QoS 0 lines/s ÷ naive-q0',
    ratio('saturated-1', 'tty2mqtt-q0', 'naive-q0', 'linesPerS'),
    0.8,
    true,
  );
  add('saturated-1: QoS 0 lost messages', find('saturated-1', 'tty2mqtt-q0')?.median['lost'], 0, false);
  // 4. A quiet site's daemon (start-up times: npm run bench:startup).
  add('idle-1: steady RSS MB', find('idle-1', q1)?.median['steadyRssMb'], 65, false);
  return goals;
}

export function printGoals(goals: Goal[]): void {
  console.log('\nGoals');
  for (const g of goals)
    console.log(`  ${g.met ? 'met    ' : 'NOT met'}  ${g.goal}: ${g.value.toFixed(2)} (goal ${g.limit})`);
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

function fmt(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
