// The type of a serialport binding (the real one, or the demo's mock), for the folders that
// pass one down to serial/ without importing serialport themselves: serial/ owns it.
export type { BindingInterface } from '@serialport/bindings-cpp';
