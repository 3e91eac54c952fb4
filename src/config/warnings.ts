// Every warning a valid configuration gets, in one list and in the order `check` prints it:
// the loader's (located in its file), the embedded broker's, the ports' timing. `check` prints
// the list and `run` logs it at start-up (docs/contract.md §1), so the two cannot drift apart.
import type { ConfigProblem } from '../errors.ts';
import { embeddedBrokerWarnings } from './broker-warnings.ts';
import type { LoadedConfig } from './load.ts';
import { portTimingWarnings } from './port-warnings.ts';

export interface ConfigWarning {
  /**
   * Which check found it. The embedded broker logs its own when it starts
   * (src/broker/embedded.ts), so `run` leaves those out rather than say them twice.
   */
  readonly from: 'file' | 'embedded_broker' | 'port_timing';
  readonly message: string;
  /** Where, for the loader's: the file, line and column `check` prints and `run` logs. */
  readonly at?: Pick<ConfigProblem, 'file' | 'line' | 'col' | 'path'>;
}

export function configurationWarnings(
  loaded: Pick<LoadedConfig, 'config' | 'profiles' | 'warnings'>,
): ConfigWarning[] {
  return [
    ...loaded.warnings.map(({ file, line, col, path, message }) => ({
      from: 'file' as const,
      message,
      at: { file, line, col, path },
    })),
    ...embeddedBrokerWarnings(loaded.config).map((message) => ({
      from: 'embedded_broker' as const,
      message,
    })),
    ...portTimingWarnings(loaded.config.ports, loaded.profiles).map((message) => ({
      from: 'port_timing' as const,
      message,
    })),
  ];
}
