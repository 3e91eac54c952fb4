// Runs the real daemon as a child process (`node --import tsx src/cli.ts …`), the way a
// user or systemd does, so integration tests see exactly what a user sees: exit codes,
// stderr, and what reaches the broker. Killed only by its own PID.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface GatewayProcess {
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout+stderr contain `pattern` (JSON log lines); rejects with the output at the timeout. */
  waitForOutput(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

export function startGateway(
  args: string[],
  /** `wrapper`: a command the daemon runs under, e.g. `['seccomp-exec', 'allow.txt']`. */
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    wrapper?: string[];
    /** The executable to run instead of the sources, e.g. an installed package's bin. */
    command?: string;
    /** Written to the process's stdin, which is then closed (default: no stdin). */
    stdin?: string;
  } = {},
): GatewayProcess {
  const argv = [
    ...(options.command === undefined ? [process.execPath, '--import', 'tsx', CLI] : [options.command]),
    ...args,
  ];
  const [command = process.execPath, ...rest] = [...(options.wrapper ?? []), ...argv];
  const child: ChildProcess = spawn(command, rest, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  child.stdin?.end(options.stdin);
  let out = '';
  let err = '';
  let closed = false;
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    notify();
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    notify();
  });
  const exited = new Promise<number | string>((resolve) => {
    // 'close', not 'exit': by then stdout and stderr have been read to the end.
    child.once('close', (code, signal) => {
      closed = true;
      notify();
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return {
    pid: child.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput(pattern, timeoutMs = 15_000) {
      const matches = (): boolean =>
        typeof pattern === 'string' ? (out + err).includes(pattern) : pattern.test(out + err);
      if (matches()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `gateway did not print ${String(pattern)} within ${timeoutMs} ms.\nstdout:\n${out}\nstderr:\n${err}`,
            ),
          );
        }, timeoutMs);
        const check = (): void => {
          if (matches()) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          } else if (closed) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(
              new Error(
                `gateway exited (${child.exitCode ?? child.signalCode}) before printing ${String(pattern)}.\nstdout:\n${out}\nstderr:\n${err}`,
              ),
            );
          }
        };
        waiters.add(check);
      });
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs a CLI command to completion: exit code and output. */
export async function runCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; stdin?: string } = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = startGateway(args, options);
  const timer = setTimeout(() => void p.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}
