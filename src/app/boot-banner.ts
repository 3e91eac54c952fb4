// The first line a board prints after a firmware flash (its boot banner, e.g.
// `# climate booting`), reported with the flash's result so the user sees the new firmware
// run. Bounded: at most MAX_BYTES are looked at; what is not printable ASCII is shown as `?`.

const MAX_BYTES = 512;
const MAX_LINE_CHARS = 120;

export interface BannerTap {
  feed(chunk: Buffer): void;
  /** The first non-empty line, or null when none arrived within `waitMs`. */
  line(waitMs: number): Promise<string | null>;
}

export function createBannerTap(): BannerTap {
  const seen: Buffer[] = [];
  let bytes = 0;
  let found: string | null = null;
  let wake: (() => void) | undefined;

  function look(): void {
    const text = Buffer.concat(seen).toString('latin1');
    const lines = text.split(/\r?\n/);
    // The last piece has no line end yet, unless the bound was reached.
    const complete = bytes >= MAX_BYTES ? lines : lines.slice(0, -1);
    const first = complete.map(printable).find((l) => l.length > 0);
    if (first !== undefined) {
      found = first;
      wake?.();
    }
  }

  return {
    feed(chunk) {
      if (found !== null || bytes >= MAX_BYTES) return;
      const part = chunk.subarray(0, MAX_BYTES - bytes);
      seen.push(part);
      bytes += part.length;
      look();
    },
    line(waitMs) {
      if (found !== null) return Promise.resolve(found);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(found), waitMs);
        wake = () => {
          clearTimeout(timer);
          resolve(found);
        };
      });
    },
  };
}

/** A reset often puts a stray 0x00 or 0xFF on the line before the banner: dropped at the ends. */
function printable(line: string): string {
  return line
    .replace(/^[^\x20-\x7e]+|[^\x20-\x7e]+$/g, '')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim()
    .slice(0, MAX_LINE_CHARS);
}
