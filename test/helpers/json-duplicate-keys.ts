// JSON.parse keeps the last of two equal keys without a word, so a test that parses log lines
// cannot see `"port":"a","port":"a"`. This walks the JSON text itself and names every key an
// object has twice (RFC 8259 §4: "The names within an object SHOULD be unique").

/** The duplicated keys of every object in `json`, as `path.key`; throws on invalid JSON. */
export function duplicateKeys(json: string): string[] {
  let i = 0;
  const found: string[] = [];
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at ${i} in ${json.slice(0, 200)}`);
  };
  const space = (): void => {
    while (/\s/.test(json[i] ?? '')) i += 1;
  };
  const string = (): string => {
    const start = i;
    i += 1; // the opening quote
    while (json[i] !== '"') {
      if (i >= json.length) fail('unterminated string');
      i += json[i] === '\\' ? 2 : 1;
    }
    i += 1;
    return JSON.parse(json.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    space();
    const c = json[i];
    if (c === '{') {
      i += 1;
      const seen = new Set<string>();
      space();
      if (json[i] === '}') return void (i += 1);
      for (;;) {
        space();
        if (json[i] !== '"') fail('expected a key');
        const key = string();
        if (seen.has(key)) found.push(`${path}${key}`);
        seen.add(key);
        space();
        if (json[i] !== ':') fail('expected :');
        i += 1;
        value(`${path}${key}.`);
        space();
        if (json[i] === ',') i += 1;
        else if (json[i] === '}') return void (i += 1);
        else fail('expected , or }');
      }
    }
    if (c === '[') {
      i += 1;
      space();
      if (json[i] === ']') return void (i += 1);
      for (let n = 0; ; n += 1) {
        value(`${path}${n}.`);
        space();
        if (json[i] === ',') i += 1;
        else if (json[i] === ']') return void (i += 1);
        else fail('expected , or ]');
      }
    }
    if (c === '"') return void string();
    const literal = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(json.slice(i, i + 64));
    if (literal === null) fail('unexpected value');
    i += (literal as RegExpExecArray)[0].length;
  };
  JSON.parse(json); // the same verdict on validity as every other reader
  value('');
  space();
  if (i !== json.length) fail('trailing text');
  return found;
}
