// Which programmer flashes a board (`flash.programmer` in gateway.yaml):
//   auto     avrdude when it is installed and new enough (it knows more bootloaders and
//            boards than tty2mqtt), else the builtin STK500v1 programmer
//   avrdude  avrdude or a clear refusal (not installed, too old)
//   builtin  tty2mqtt's own STK500v1 programmer, never avrdude
// The serial side of the builtin one (`openLink`) is passed in: firmware/ sits below serial/
// (docs/architecture.md, "Layers"), so whoever composes the gateway supplies it.
import { GatewayError } from '../errors.ts';
import { avrdudeProgrammer } from './avrdude.ts';
import type { AvrdudeOptions } from './avrdude.ts';
import type { ByteLink } from './byte-link.ts';
import type { Programmer, ProgrammerChoice } from './programmer.ts';
import { stk500v1Programmer } from './stk500v1.ts';

export interface ProgrammerParts {
  /** Opens a port for the builtin programmer (serial/programming-link.ts in the daemon). */
  openLink: (path: string, baudRate: number) => Promise<ByteLink>;
  avrdude?: AvrdudeOptions;
}

export interface SelectedProgrammer {
  programmer: Programmer;
  /** Why `auto` did not take avrdude (for the log); undefined otherwise. */
  fallbackReason?: string;
}

/**
 * The programmer for `choice`. `avrdude` rejects with avrdude's refusal
 * (TTY2MQTT_FIRMWARE_FLASH_FAILED: not installed, cannot be run, older than 6.3); `auto` takes
 * the builtin programmer instead and says why.
 */
export async function selectProgrammer(
  choice: ProgrammerChoice,
  parts: ProgrammerParts,
): Promise<SelectedProgrammer> {
  if (choice === 'builtin') return { programmer: stk500v1Programmer(parts.openLink) };
  if (choice === 'avrdude') return { programmer: await avrdudeProgrammer(parts.avrdude) };
  try {
    return { programmer: await avrdudeProgrammer(parts.avrdude) };
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return { programmer: stk500v1Programmer(parts.openLink), fallbackReason: error.message };
  }
}
