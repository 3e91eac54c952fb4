// Resolve hook of test/helpers/module-trace.js: records ES modules loaded from node_modules.
import { appendFileSync } from 'node:fs';

let out = '';

export function initialize(data) {
  out = data.out;
}

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.includes('/node_modules/')) appendFileSync(out, `esm ${result.url}\n`);
  return result;
}
