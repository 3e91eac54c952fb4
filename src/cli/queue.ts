// `tty2mqtt queue [-c FILE] [--requeue] [--purge] [--ids LIST]`: the queue's
// depth, bytes, oldest age, per-port depth and dead letters; requeue or purge dead letters
// (all of them, or the ids of --ids, or of --requeue=LIST / --purge=LIST). Works while the
// daemon runs: it opens the queue file directly.
import { existsSync } from 'node:fs';
import { purgeDeadLetters, queueSummary, requeueDeadLetters } from '../queue/inspect.ts';
import type { QueueSummary } from '../queue/inspect.ts';
import type { CommandContext } from './context.ts';
import { stringArg } from './context.ts';
import { loadConfigFor } from './load.ts';
import { errorMessage } from '../errors.ts';

/** `undefined` = all; otherwise the listed ids. Throws on anything that is not an id list. */
function parseIds(text: string | undefined): number[] | undefined {
  if (text === undefined || text === '' || text === 'all') return undefined;
  return text.split(',').map((part) => {
    const id = Number(part.trim());
    if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`not a dead letter id: "${part}"`);
    return id;
  });
}

function age(ms: number | null): string {
  if (ms === null) return '-';
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

export function formatSummary(path: string, s: QueueSummary): string {
  const lines = [
    `queue        ${path}`,
    `depth        ${s.depth} messages, ${s.bytes} bytes, oldest ${age(s.oldestAgeMs)}`,
  ];
  for (const p of s.ports) lines.push(`  ${p.port.padEnd(20)} ${p.depth}`);
  lines.push(`dead letters ${s.deadLetters.length}`);
  if (s.deadLetters.length > 0) {
    lines.push(
      `  ${'ID'.padEnd(8)} ${'PORT'.padEnd(12)} ${'ATTEMPTS'.padEnd(8)} ${'FAILED AT'.padEnd(24)} TOPIC — REASON`,
    );
    for (const d of s.deadLetters)
      lines.push(
        `  ${String(d.id).padEnd(8)} ${d.port.padEnd(12)} ${String(d.attempts).padEnd(8)} ` +
          `${new Date(d.failedAt).toISOString().padEnd(24)} ${d.topic} — ${d.reason}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

export async function queueCommand(context: CommandContext): Promise<number> {
  const loaded = await loadConfigFor(context);
  const path = loaded.config.queue.path;
  if (!existsSync(path)) {
    context.stderr.write(
      `tty2mqtt queue: no queue file at ${path} (the gateway has not run yet, or queue.path differs)\n`,
    );
    return 1;
  }
  const requeue = context.args['requeue'];
  const purge = context.args['purge'];
  if (requeue !== undefined && purge !== undefined) {
    context.stderr.write('tty2mqtt queue: use --requeue or --purge, not both\n');
    return 1;
  }
  const action = requeue ?? purge;
  if (action !== undefined && action !== false) {
    let ids: number[] | undefined;
    try {
      ids = parseIds(typeof action === 'string' ? action : stringArg(context, 'ids'));
    } catch (error) {
      context.stderr.write(`tty2mqtt queue: ${errorMessage(error)}\n`);
      return 1;
    }
    const done = requeue !== undefined ? requeueDeadLetters(path, ids) : purgeDeadLetters(path, ids);
    const verb = requeue !== undefined ? 'requeued' : 'purged';
    context.stdout.write(
      `${verb} ${done.length} dead letter(s)${done.length > 0 ? `: ${done.join(',')}` : ''}\n`,
    );
  }
  context.stdout.write(formatSummary(path, queueSummary(path)));
  return 0;
}
