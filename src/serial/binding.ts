// The type of a serialport binding (the real one, or the demo's mock), for the folders that
// pass one down to serial/ without importing serialport themselves: serial/ owns it.
import type * as Bindings from '@serialport/bindings-cpp';
import type { BindingInterface } from '@serialport/bindings-cpp';
import { requireCjs } from '../require-cjs.ts';

export type { BindingInterface };

/** The platform's real bindings (bindings-cpp); require(), not import: src/require-cjs.ts. */
export function platformBinding(): BindingInterface {
  return (requireCjs('@serialport/bindings-cpp') as typeof Bindings).autoDetect();
}
