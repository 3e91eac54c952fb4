// require() for the CommonJS packages the daemon loads (MQTT.js, yaml, pino, better-sqlite3,
// the serial bindings, mqtt-packet). Importing a CommonJS package from ESM makes Node lex its
// sources for named exports (cjs-module-lexer), following re-exports (mqtt: index → mqtt.js →
// lib/client.js, 53 KB). That lexing is hot enough at start-up for V8 to optimize the lexer on
// a background thread, and the optimizing compiler's scratch memory stays in that thread's
// malloc arena for the daemon's lifetime: ~6 MB of idle RSS, measured. require() runs the same
// package code without the lexing. Each owner folder keeps its `import type` for the types.
import { createRequire } from 'node:module';

export const requireCjs = createRequire(import.meta.url);
