// Progress of a long request (a firmware flash) without flooding the broker: every change of
// stage goes out, and within a stage at most one message per PROGRESS_STEP (a tenth) of the
// bytes, plus the last.
import type { FlashProgress } from '../firmware/programmer.ts';

const PROGRESS_STEP = 0.1;

export function createProgressThrottle(send: (p: FlashProgress) => void): (p: FlashProgress) => void {
  let stage: string | undefined;
  let sentFraction = 0;
  return (p) => {
    const fraction = p.bytes !== undefined && p.of !== undefined && p.of > 0 ? p.bytes / p.of : 0;
    if (p.stage !== stage) {
      stage = p.stage;
      sentFraction = fraction;
      send(p);
      return;
    }
    if (fraction >= 1 || fraction - sentFraction >= PROGRESS_STEP) {
      if (fraction <= sentFraction) return; // the 100 % already went out
      sentFraction = fraction;
      send(p);
    }
  };
}
