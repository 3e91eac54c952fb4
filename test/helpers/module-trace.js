// Preload (`node --import …/module-trace.js`) recording every package a process loads, for
// test/integration/startup-modules.test.ts: bare `require()`s in this thread (the daemon loads
// its CommonJS packages with require(): src/require-cjs.ts) and every ES module resolved from
// a node_modules folder (through a resolve hook, which runs on Node's loader thread). One line
// per load is appended to MODULE_TRACE_FILE.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

const out = process.env.MODULE_TRACE_FILE;
if (out === undefined) throw new Error('module-trace.js: set MODULE_TRACE_FILE');
register(new URL('./module-trace-hooks.js', import.meta.url), { data: { out } });

const builtins = new Set(Module.builtinModules);
const load = Module._load;
Module._load = function traced(request, ...rest) {
  if (
    !request.startsWith('.') &&
    !request.startsWith('/') &&
    !request.startsWith('node:') &&
    !builtins.has(request)
  )
    appendFileSync(out, `cjs ${request}\n`);
  return load.call(this, request, ...rest);
};
