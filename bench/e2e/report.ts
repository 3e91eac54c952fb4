// Medians over the alternating repetitions, ratios to the baseline of the same run, the
// printed table and the issue-4 goals checked against them.
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
}

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
};

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
    };
  });
}

export function printScenario(title: string, cells: Cell[]): void {
  console.log(`\n${title}`);
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

/** The performance goals, where the run measured what they need. */
export function checkGoals(cells: Cell[]): Goal[] {
  const goals: Goal[] = [];
  const find = (scenario: string, contender: string): Cell | undefined =>
    cells.find((c) => c.scenario === scenario && c.contender === contender);
  const add = (goal: string, value: number | undefined, limit: number, atLeast: boolean): void => {
    if (value === undefined || Number.isNaN(value)) return;
    goals.push({ goal, value, limit, met: atLeast ? value >= limit : value <= limit });
  };
  for (const scenario of [...new Set(cells.map((c) => c.scenario))]) {
    const ttyQ1 = find(scenario, 'tty2mqtt-q1-normal');
    const ttyQ0 = find(scenario, 'tty2mqtt-q0');
    add(`${scenario}: QoS 1 (normal) lines/s ÷ naive`, ttyQ1?.ratio['linesPerS'], 1, true);
    add(`${scenario}: QoS 0 lines/s ÷ naive`, ttyQ0?.ratio['linesPerS'], 1, true);
    for (const tty of [ttyQ0, ttyQ1]) {
      if (tty === undefined) continue;
      add(`${scenario}: ${tty.contender} latency p99 ÷ naive`, tty.ratio['latencyP99Ms'], 1, false);
      add(`${scenario}: ${tty.contender} CPU/line ÷ naive`, tty.ratio['cpuUsPerLine'], 0.35, false);
      const mp = find(scenario, tty.contender === 'tty2mqtt-q0' ? 'mosquitto_pub-q0' : 'mosquitto_pub-q1');
      const mpCpu = mp?.median['cpuUsPerLine'];
      const ownCpu = tty.median['cpuUsPerLine'];
      if (mpCpu !== undefined && ownCpu !== undefined)
        add(`${scenario}: ${tty.contender} CPU/line ÷ mosquitto_pub`, ownCpu / mpCpu, 1.5, false);
      add(`${scenario}: ${tty.contender} peak RSS ÷ naive`, tty.ratio['peakRssMb'], 0.5, false);
      add(`${scenario}: ${tty.contender} peak RSS MB`, tty.median['peakRssMb'], 80, false);
    }
  }
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
