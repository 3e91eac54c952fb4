// What happens to a line body once its envelope is off, in order: a resend of a committed
// `#seq` line is ACKed again and goes no further; a MySensors controller takes the messages
// it handles; everything else goes through the profile's pipeline (line/line-pipeline.ts)
// and ends queued, ignored or discarded. One home for this order: the daemon's line part
// (line-part.ts) and `tty2mqtt try` (cli/try.ts) both call acceptLine.
import type { BodyResult, LinePipeline } from '../line/line-pipeline.ts';
import type { ValidationResult } from '../pipeline/validate.ts';
import type { LineFate } from './line-outcomes.ts';
import type { MySensorsPart } from './mysensors-part.ts';

export interface AcceptSteps {
  pipeline: LinePipeline;
  /** MySensors controller mode, else null. */
  mysensors: MySensorsPart | null;
  now: () => number;
  /** A decoded line was validated (before it is queued or discarded): count or show it. */
  onChecked?: ((checked: ValidationResult) => void) | undefined;
}

/**
 * Settles one line body. Returns the pipeline's result, or null when the line ended before
 * the pipeline: a resend of a committed line, or a message the MySensors controller took.
 */
export async function acceptLine(
  steps: AcceptSteps,
  body: string,
  line: LineFate,
): Promise<BodyResult | null> {
  if (line.repeated()) return null;
  if (steps.mysensors !== null && (await steps.mysensors.accept(body, line))) return null;
  const result = steps.pipeline.body(body, steps.now);
  if (result.kind !== 'ignored' && result.checked !== null) steps.onChecked?.(result.checked);
  switch (result.kind) {
    case 'discard':
      line.discard(result.reason, result.detail);
      break;
    case 'ignored':
      await line.ignore();
      break;
    case 'reading':
      await line.queue(result.messages, result.checked.values, result.reading.receivedAt);
      break;
  }
  return result;
}
