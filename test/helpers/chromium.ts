// Debian's Chromium driven by playwright-core for the status page test: headless,
// no sandbox (tests run as root in containers), background networking and component updates
// off so the browser itself makes no request the test did not ask for; a fresh temporary
// profile every time. Closed by the browser's own close, and killed by its PID if that hangs.
import { accessSync, constants, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const INSTALL_HINT = `Chromium is not installed at ${CHROMIUM_PATH}; the status page test needs it: apt-get install -y --no-install-recommends chromium`;

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Chromium {
  context: BrowserContext;
  /** The temporary profile directory (removed by close()). */
  userDataDir: string;
  close(): Promise<void>;
}

/** Throws with the install command when Chromium is missing: a missing browser fails, never skips. */
export function requireChromium(): void {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
  } catch {
    throw new Error(INSTALL_HINT);
  }
}

/** PIDs of the browser processes using `userDataDir` — only the one this helper started has it. */
function pidsUsing(userDataDir: string): number[] {
  const flag = `--user-data-dir=${userDataDir}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.includes(flag)) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

export async function launchChromium(
  options: { viewport?: { width: number; height: number } } = {},
): Promise<Chromium> {
  requireChromium();
  const userDataDir = mkdtempSync(join(tmpdir(), 'tty2mqtt-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: options.viewport ?? { width: 1000, height: 800 },
      deviceScaleFactor: 1,
      timeout: 60_000,
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    context,
    userDataDir,
    async close() {
      let timer: NodeJS.Timeout | undefined;
      const closed = await Promise.race([
        context.close().then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), 10_000);
        }),
      ]);
      clearTimeout(timer);
      if (!closed)
        for (const pid of pidsUsing(userDataDir)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
