// Static check for JavaScript regular expressions that a backtracking engine (V8's Irregexp)
// can take super-linear time on. Profiles supply patterns (line.pattern, fields.*.pattern,
// commands.*.payload.pattern, commands.*.reply.ok/error) that run on every device line or
// MQTT payload; `^([A-Za-z0-9]+_?)*$` blocks the event loop for seconds on a 36-byte line.
// Pure: no I/O, and no pattern is ever run.
//
// Method (Weideman et al., "Analyzing Matching Time Behavior of Backtracking Regular Expression
// Matchers by Using Ambiguity of NFA", 2016): build the pattern's position automaton
// (Glushkov), keeping edge multiplicities so that `(a+)+` has two a→a edges like the
// backtracking engine has two ways to repeat; then
// - exponential: some state q has two different cycles reading the same word. Found in the
//   product automaton A×A as a strongly connected component that holds a diagonal pair (q,q)
//   and a pair of distinct edges. This covers nested quantifiers (`(a+)+`, `(a*)*`,
//   `(a+_?)*`, `(?:a|b+)+`) and quantified overlapping alternatives (`(a|a)*`, `(\w|\d)+`).
// - polynomial: states p ≠ q with a word v looping on p, leading from p to q and looping on q
//   (`\d+\d+`, `.*.*`): a search in A×A×A from (p,p,q) to (p,q,q). Refused as well: a line may
//   be up to line.max_bytes (65536) long, and n² steps at that length take seconds.
// Approximations, all on the side of refusing: anchors and \b are treated as matching
// anywhere; a lookaround body is checked as a pattern of its own and consumes nothing; a
// backreference is "any characters, any number of times"; a small exact count {n} is
// unrolled and any other counted repeat {n,m} is treated as + or *. Characters are UTF-16
// code units (no `u` flag: the gateway compiles patterns without flags). The work is bounded;
// a pattern too large to check is refused as such.

export type RegexRiskKind = 'exponential' | 'polynomial' | 'too_complex';

export interface RegexRisk {
  kind: RegexRiskKind;
  /** Why, in a few words: "nested quantifier: catastrophic backtracking". */
  reason: string;
  /** The part of the pattern responsible, as written. */
  where: string;
}

type Ranges = readonly (readonly [number, number])[];

const MAX_UNIT = 0xffff;

function normalize(ranges: (readonly [number, number])[]): Ranges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function complement(set: Ranges): Ranges {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_UNIT) out.push([next, MAX_UNIT]);
  return out;
}

function intersection(a: Ranges, b: Ranges): Ranges {
  const out: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as readonly [number, number];
    const y = b[j] as readonly [number, number];
    const lo = Math.max(x[0], y[0]);
    const hi = Math.min(x[1], y[1]);
    if (lo <= hi) out.push([lo, hi]);
    if (x[1] < y[1]) i++;
    else j++;
  }
  return out;
}

const single = (c: number): Ranges => [[c, c]];
const DIGIT: Ranges = [[0x30, 0x39]];
const WORD: Ranges = normalize([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
]);
// ECMA-262 WhiteSpace and LineTerminator code units.
const SPACE: Ranges = normalize([
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
]);
const ANY: Ranges = [[0, MAX_UNIT]];
const DOT: Ranges = complement(
  normalize([
    [0x0a, 0x0a],
    [0x0d, 0x0d],
    [0x2028, 0x2029],
  ]),
);

// ---- parsing (ECMA-262 Annex B syntax, as `new RegExp(pattern)` without flags accepts) ----

type Node =
  | { kind: 'char'; set: Ranges; start: number; end: number }
  | { kind: 'empty' }
  | { kind: 'seq'; items: Node[] }
  | { kind: 'alt'; options: Node[] }
  | { kind: 'repeat'; body: Node; min: number; max: number; start: number; end: number };

interface Parsed {
  node: Node;
  /** Lookaround bodies: each is checked as a pattern of its own. */
  lookarounds: Node[];
}

function parse(pattern: string): Parsed {
  const lookarounds: Node[] = [];
  const hasNamedGroups = /\(\?<[^=!]/.test(pattern);
  let i = 0;
  /** Just past the next `c` (or the end: the pattern is known to compile, this is a guard). */
  const after = (c: string): number => {
    const at = pattern.indexOf(c, i);
    return at < 0 ? pattern.length : at + 1;
  };

  const classEscape = (c: string): Ranges | undefined => {
    switch (c) {
      case 'd':
        return DIGIT;
      case 'D':
        return complement(DIGIT);
      case 'w':
        return WORD;
      case 'W':
        return complement(WORD);
      case 's':
        return SPACE;
      case 'S':
        return complement(SPACE);
      default:
        return undefined;
    }
  };

  /** A character escape after `\` (at i); returns its code unit and advances. */
  const charEscape = (inClass: boolean): number => {
    const c = pattern[i] ?? '\\';
    i++;
    switch (c) {
      case 't':
        return 9;
      case 'n':
        return 10;
      case 'v':
        return 11;
      case 'f':
        return 12;
      case 'r':
        return 13;
      case 'b':
        return inClass ? 8 : 0x62;
      case 'x': {
        const hex = /^[0-9A-Fa-f]{2}/.exec(pattern.slice(i));
        if (hex === null) return 0x78;
        i += 2;
        return parseInt(hex[0], 16);
      }
      case 'u': {
        const hex = /^[0-9A-Fa-f]{4}/.exec(pattern.slice(i));
        if (hex === null) return 0x75;
        i += 4;
        return parseInt(hex[0], 16);
      }
      case 'c': {
        const letter = pattern[i];
        if (letter !== undefined && /[A-Za-z]/.test(letter)) {
          i++;
          return letter.charCodeAt(0) % 32;
        }
        return 0x5c;
      }
      case '0':
        return 0;
      default:
        return c.charCodeAt(0);
    }
  };

  const parseClass = (start: number): Node => {
    // At i: just past '['.
    let negate = false;
    if (pattern[i] === '^') {
      negate = true;
      i++;
    }
    const parts: (readonly [number, number])[] = [];
    const item = (): Ranges | number => {
      if (pattern[i] === '\\') {
        i++;
        const set = classEscape(pattern[i] ?? '');
        if (set !== undefined) {
          i++;
          return set;
        }
        return charEscape(true);
      }
      const code = pattern.charCodeAt(i);
      i++;
      return code;
    };
    while (i < pattern.length && pattern[i] !== ']') {
      const from = item();
      if (pattern[i] === '-' && pattern[i + 1] !== undefined && pattern[i + 1] !== ']') {
        const save = i;
        i++;
        const to = item();
        if (typeof from === 'number' && typeof to === 'number') {
          parts.push([Math.min(from, to), Math.max(from, to)]);
          continue;
        }
        // `[\d-x]`: the '-' is a literal (Annex B).
        i = save;
      }
      if (typeof from === 'number') parts.push([from, from]);
      else parts.push(...from);
    }
    i++; // ']'
    const set = normalize(parts);
    return { kind: 'char', set: negate ? complement(set) : set, start, end: i };
  };

  const backreference = (start: number): Node => ({
    kind: 'repeat',
    body: { kind: 'char', set: ANY, start, end: i },
    min: 0,
    max: Infinity,
    start,
    end: i,
  });

  const parseAtom = (): Node | null => {
    const start = i;
    const c = pattern[i];
    if (c === undefined) return null;
    i++;
    switch (c) {
      case '(': {
        let lookaround = false;
        if (pattern.startsWith('?=', i) || pattern.startsWith('?!', i)) {
          lookaround = true;
          i += 2;
        } else if (pattern.startsWith('?<=', i) || pattern.startsWith('?<!', i)) {
          lookaround = true;
          i += 3;
        } else if (pattern.startsWith('?<', i)) {
          i = after('>');
        } else if (pattern[i] === '?') {
          // (?: and modifier groups such as (?i:...)
          i = after(':');
        }
        const body = parseAlternation();
        i++; // ')'
        if (lookaround) {
          lookarounds.push(body);
          return { kind: 'empty' };
        }
        return body;
      }
      case '[':
        return parseClass(start);
      case '.':
        return { kind: 'char', set: DOT, start, end: i };
      case '^':
      case '$':
        return { kind: 'empty' };
      case '\\': {
        const e = pattern[i] ?? '';
        if (e === 'b' || e === 'B') {
          i++;
          return { kind: 'empty' };
        }
        const set = classEscape(e);
        if (set !== undefined) {
          i++;
          return { kind: 'char', set, start, end: i };
        }
        if (/[1-9]/.test(e)) {
          while (/[0-9]/.test(pattern[i] ?? '')) i++;
          return backreference(start);
        }
        if (e === 'k' && hasNamedGroups && pattern[i + 1] === '<') {
          i = after('>');
          return backreference(start);
        }
        return { kind: 'char', set: single(charEscape(false)), start, end: i };
      }
      default:
        return { kind: 'char', set: single(c.charCodeAt(0)), start, end: i };
    }
  };

  const parseQuantifier = (): { min: number; max: number } | null => {
    const c = pattern[i];
    let q: { min: number; max: number } | null = null;
    if (c === '*') q = { min: 0, max: Infinity };
    else if (c === '+') q = { min: 1, max: Infinity };
    else if (c === '?') q = { min: 0, max: 1 };
    if (q !== null) i++;
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (m === null) return null; // a literal '{' (Annex B)
      i += m[0].length;
      const min = Number(m[1]);
      q = { min, max: m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]) };
    }
    if (q !== null && pattern[i] === '?') i++; // lazy: same paths, other order
    return q;
  };

  const parseSequence = (): Node => {
    const items: Node[] = [];
    while (i < pattern.length && pattern[i] !== '|' && pattern[i] !== ')') {
      const start = i;
      const atom = parseAtom();
      if (atom === null) break;
      const q = parseQuantifier();
      items.push(q === null ? atom : { kind: 'repeat', body: atom, ...q, start, end: i });
    }
    return { kind: 'seq', items };
  };

  const parseAlternation = (): Node => {
    const options = [parseSequence()];
    while (pattern[i] === '|') {
      i++;
      options.push(parseSequence());
    }
    return options.length === 1 ? (options[0] as Node) : { kind: 'alt', options };
  };

  const node = parseAlternation();
  return { node, lookarounds };
}

// ---- position automaton with multiplicities ----

/** Path counts only matter as "one" or "more than one". */
const cap = (n: number): number => Math.min(n, 2);

type Counts = Map<number, number>;

interface Info {
  /** Ways to match the empty string (0, 1 or 2 = "several"). */
  nullable: number;
  first: Counts;
  last: Counts;
}

interface Repeat {
  start: number;
  end: number;
  /** The body holds a repeat of its own (star height > 1). */
  nested: boolean;
}

interface Edge {
  to: number;
  count: number;
  /** The repeat whose loop added this edge, if any. */
  origin: Repeat | null;
}

interface Position {
  set: Ranges;
  start: number;
  end: number;
  /** The innermost unbounded repeat around it, for messages. */
  loop: Repeat | null;
}

/** Beyond this many positions the check gives up (and the pattern is refused). */
const MAX_POSITIONS = 400;
/** Exact counts up to this many copies are unrolled; larger ones become +. */
const MAX_UNROLL = 16;

class TooComplex extends Error {}

function containsRepeat(node: Node): boolean {
  switch (node.kind) {
    case 'repeat':
      return node.max > 1;
    case 'seq':
      return node.items.some(containsRepeat);
    case 'alt':
      return node.options.some(containsRepeat);
    default:
      return false;
  }
}

function countPositions(node: Node): number {
  switch (node.kind) {
    case 'char':
      return 1;
    case 'empty':
      return 0;
    case 'seq':
      return node.items.reduce((n, item) => n + countPositions(item), 0);
    case 'alt':
      return node.options.reduce((n, item) => n + countPositions(item), 0);
    case 'repeat':
      return countPositions(node.body) * Math.max(1, unrolledCopies(node));
  }
}

/**
 * How many copies of the body a repeat becomes: `?` and an exact small count `{n}` are
 * unrolled; any other range is a loop (0), since its optional copies are as ambiguous as one:
 * `(?:\w{1,16}){1,16}` or sixty `\w{0,5}` in a row split a line in astronomically many ways.
 */
function unrolledCopies(node: Node & { kind: 'repeat' }): number {
  if (node.max <= 1) return node.max;
  return node.min === node.max && node.max <= MAX_UNROLL ? node.max : 0;
}

class Automaton {
  /** Index 0 is the start state; it has no label. */
  readonly positions: Position[] = [{ set: [], start: 0, end: 0, loop: null }];
  readonly edges: Map<number, Edge>[] = [new Map<number, Edge>()];

  addEdges(from: Counts, to: Counts, origin: Repeat | null): void {
    for (const [p, cp] of from)
      for (const [q, cq] of to) {
        const out = this.edges[p] as Map<number, Edge>;
        const edge = out.get(q);
        if (edge === undefined) out.set(q, { to: q, count: cap(cp * cq), origin });
        else {
          edge.count = cap(edge.count + cp * cq);
          if (origin !== null && (edge.origin === null || width(origin) > width(edge.origin)))
            edge.origin = origin;
        }
      }
  }

  build(node: Node, loop: Repeat | null): Info {
    switch (node.kind) {
      case 'char': {
        if (this.positions.length > MAX_POSITIONS) throw new TooComplex();
        const p = this.positions.length;
        this.positions.push({ set: node.set, start: node.start, end: node.end, loop });
        this.edges.push(new Map<number, Edge>());
        return { nullable: 0, first: new Map([[p, 1]]), last: new Map([[p, 1]]) };
      }
      case 'empty':
        return { nullable: 1, first: new Map(), last: new Map() };
      case 'seq':
        return node.items.reduce<Info>((acc, item) => this.concat(acc, this.build(item, loop)), {
          nullable: 1,
          first: new Map(),
          last: new Map(),
        });
      case 'alt':
        return node.options
          .map((o) => this.build(o, loop))
          .reduce((a, b) => ({
            nullable: cap(a.nullable + b.nullable),
            first: sum(a.first, b.first, 1),
            last: sum(a.last, b.last, 1),
          }));
      case 'repeat':
        return this.repeat(node, loop);
    }
  }

  private concat(a: Info, b: Info): Info {
    this.addEdges(a.last, b.first, null);
    return {
      nullable: cap(a.nullable * b.nullable),
      first: sum(a.first, b.first, a.nullable),
      last: sum(b.last, a.last, b.nullable),
    };
  }

  private repeat(node: Node & { kind: 'repeat' }, outer: Repeat | null): Info {
    const copies = unrolledCopies(node);
    if (copies > 0 || node.max === 0) {
      // b? → (b)?, b{3} → bbb
      let info: Info = { nullable: 1, first: new Map(), last: new Map() };
      for (let k = 0; k < node.min; k++) info = this.concat(info, this.build(node.body, outer));
      const optional = (left: number): Info => {
        if (left === 0) return { nullable: 1, first: new Map(), last: new Map() };
        const inner = this.concat(this.build(node.body, outer), optional(left - 1));
        return { ...inner, nullable: cap(inner.nullable + 1) };
      };
      return this.concat(info, optional(node.max - node.min));
    }
    const repeat: Repeat = { start: node.start, end: node.end, nested: containsRepeat(node.body) };
    const body = this.build(node.body, repeat);
    // The loop: the end of one iteration to the start of the next.
    this.addEdges(body.last, body.first, repeat);
    // Irregexp stops an iteration that matched nothing, so a loop adds one empty way (zero
    // iterations) when min is 0, and the body's own empty ways otherwise.
    return { ...body, nullable: node.min === 0 ? 1 : body.nullable };
  }
}

function width(r: Repeat): number {
  return r.end - r.start;
}

function sum(a: Counts, b: Counts, factor: number): Counts {
  const out = new Map(a);
  if (factor === 0) return out;
  for (const [p, c] of b) out.set(p, cap((out.get(p) ?? 0) + c * factor));
  return out;
}

// ---- ambiguity ----

/** Tarjan's strongly connected components, iteratively: component id per node. */
function components(count: number, successors: (node: number) => number[]): Int32Array {
  const index = new Int32Array(count).fill(-1);
  const low = new Int32Array(count);
  const component = new Int32Array(count).fill(-1);
  const onStack = new Uint8Array(count);
  const stack: number[] = [];
  let next = 0;
  let nextComponent = 0;
  for (let root = 0; root < count; root++) {
    if (index[root] !== -1) continue;
    const work: { node: number; succ: number[]; k: number }[] = [];
    const open = (node: number): void => {
      index[node] = low[node] = next++;
      stack.push(node);
      onStack[node] = 1;
      work.push({ node, succ: successors(node), k: 0 });
    };
    open(root);
    while (work.length > 0) {
      const top = work[work.length - 1] as { node: number; succ: number[]; k: number };
      if (top.k < top.succ.length) {
        const s = top.succ[top.k++] as number;
        if (index[s] === -1) open(s);
        else if (onStack[s] === 1) low[top.node] = Math.min(low[top.node] as number, index[s] as number);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined)
        low[parent.node] = Math.min(low[parent.node] as number, low[top.node] as number);
      if (low[top.node] === index[top.node]) {
        for (;;) {
          const n = stack.pop() as number;
          onStack[n] = 0;
          component[n] = nextComponent;
          if (n === top.node) break;
        }
        nextComponent++;
      }
    }
  }
  return component;
}

/**
 * Work the check may do (automaton edges examined) before it gives up and the pattern is
 * refused as too complex: `check` and `run` must not be the ones that hang.
 */
const MAX_STEPS = 2_000_000;

class Budget {
  private steps = 0;
  spend(n: number): void {
    this.steps += n;
    if (this.steps > MAX_STEPS) throw new TooComplex();
  }
}

function exponentialRisk(a: Automaton, pattern: string, budget: Budget): RegexRisk | null {
  const n = a.positions.length;
  const label = (p: number): Ranges => (a.positions[p] as Position).set;
  const outs = a.edges.map((m) => [...m.values()]);
  interface PairEdge {
    to: number;
    distinct: boolean;
    origins: (Repeat | null)[];
  }
  // A×A explored from (start, start); pairs numbered as they are found.
  const ids = new Map<number, number>();
  const pairs: [number, number][] = [];
  const edges: PairEdge[][] = [];
  const idOf = (p: number, q: number): number => {
    let id = ids.get(p * n + q);
    if (id === undefined) {
      id = pairs.length;
      ids.set(p * n + q, id);
      pairs.push([p, q]);
    }
    return id;
  };
  idOf(0, 0);
  for (let id = 0; id < pairs.length; id++) {
    const [p, q] = pairs[id] as [number, number];
    const eOut = outs[p] as Edge[];
    const fOut = outs[q] as Edge[];
    budget.spend(eOut.length * fOut.length + 1);
    const list: PairEdge[] = [];
    for (const e of eOut)
      for (const f of fOut) {
        if (intersection(label(e.to), label(f.to)).length === 0) continue;
        // Two copies of one edge (`(a+)+`: a→a twice) are two different paths too.
        const distinct = p !== q || e.to !== f.to || e.count > 1;
        list.push({ to: idOf(e.to, f.to), distinct, origins: [e.origin, f.origin] });
      }
    edges.push(list);
  }
  const component = components(pairs.length, (id) => (edges[id] as PairEdge[]).map((e) => e.to));
  const hasDiagonal = new Set<number>();
  pairs.forEach(([p, q], id) => {
    if (p === q) hasDiagonal.add(component[id] as number);
  });
  for (let id = 0; id < pairs.length; id++) {
    const c = component[id] as number;
    if (!hasDiagonal.has(c)) continue;
    if (!(edges[id] as PairEdge[]).some((e) => e.distinct && component[e.to] === c)) continue;
    // Two different same-word cycles through one state. The widest repeat whose loop lies in
    // this component is the one to rewrite.
    let culprit: Repeat | null = null;
    edges.forEach((list, from) => {
      if (component[from] !== c) return;
      for (const e of list)
        for (const o of e.origins)
          if (o !== null && component[e.to] === c && (culprit === null || width(o) > width(culprit)))
            culprit = o;
    });
    const found = culprit as Repeat | null;
    const where = found === null ? pattern : pattern.slice(found.start, found.end);
    const reason =
      found?.nested === false
        ? 'overlapping alternatives under a quantifier: catastrophic backtracking'
        : 'nested quantifier: catastrophic backtracking';
    return { kind: 'exponential', reason, where };
  }
  return null;
}

function polynomialRisk(a: Automaton, pattern: string, budget: Budget): RegexRisk | null {
  const n = a.positions.length;
  const label = (p: number): Ranges => (a.positions[p] as Position).set;
  const outs = a.edges.map((m) => [...m.keys()]);
  const out = (p: number): number[] => outs[p] as number[];
  const component = components(n, out);
  // States on a cycle: a self-loop or a component of more than one state.
  const size = new Map<number, number>();
  for (let p = 0; p < n; p++) size.set(component[p] as number, (size.get(component[p] as number) ?? 0) + 1);
  const cyclic = (p: number): boolean => (size.get(component[p] as number) ?? 0) > 1 || out(p).includes(p);
  const reaches = (from: number, to: number): boolean => {
    const seen = new Set([from]);
    const todo = [from];
    while (todo.length > 0) {
      const s = todo.pop() as number;
      budget.spend(out(s).length + 1);
      for (const t of out(s)) {
        if (t === to) return true;
        if (seen.has(t)) continue;
        seen.add(t);
        todo.push(t);
      }
    }
    return false;
  };
  const text = (s: number): string => {
    const pos = a.positions[s] as Position;
    return pos.loop === null
      ? pattern.slice(pos.start, pos.end)
      : pattern.slice(pos.loop.start, pos.loop.end);
  };
  for (let p = 1; p < n; p++) {
    if (!cyclic(p)) continue;
    for (let q = 1; q < n; q++) {
      if (q === p || !cyclic(q) || !reaches(p, q)) continue;
      // Search A×A×A from (p,p,q) for (p,q,q): one word that loops on p, leads p→q, loops on q.
      const key = (x: number, y: number, z: number): number => (x * n + y) * n + z;
      const goal = key(p, q, q);
      const seen = new Set([key(p, p, q)]);
      const todo: [number, number, number][] = [[p, p, q]];
      while (todo.length > 0) {
        const [x, y, z] = todo.pop() as [number, number, number];
        budget.spend(out(x).length * out(y).length * (1 + out(z).length));
        for (const x2 of out(x))
          for (const y2 of out(y)) {
            const xy = intersection(label(x2), label(y2));
            if (xy.length === 0) continue;
            for (const z2 of out(z)) {
              if (intersection(xy, label(z2)).length === 0) continue;
              const k = key(x2, y2, z2);
              if (k === goal)
                return {
                  kind: 'polynomial',
                  reason: 'adjacent quantifiers that match the same characters: polynomial backtracking',
                  where: `${text(p)} … ${text(q)}`,
                };
              if (seen.has(k)) continue;
              seen.add(k);
              todo.push([x2, y2, z2]);
            }
          }
      }
    }
  }
  return null;
}

function nodeRisk(node: Node, pattern: string): RegexRisk | null {
  const tooComplex: RegexRisk = {
    kind: 'too_complex',
    reason: 'too long or too complex to check for slow matching',
    where: pattern,
  };
  if (countPositions(node) > MAX_POSITIONS) return tooComplex;
  try {
    const a = new Automaton();
    const info = a.build(node, null);
    a.addEdges(new Map([[0, 1]]), info.first, null);
    const budget = new Budget();
    return exponentialRisk(a, pattern, budget) ?? polynomialRisk(a, pattern, budget);
  } catch (e) {
    if (e instanceof TooComplex) return tooComplex;
    throw e;
  }
}

/**
 * Why `pattern` (a valid JavaScript regular expression, compiled without flags) may take
 * super-linear time to match, or null when every character can be matched in a bounded
 * number of ways.
 */
export function regexRisk(pattern: string): RegexRisk | null {
  new RegExp(pattern); // throws SyntaxError for what the parser below would misread
  const parsed = parse(pattern);
  for (const node of [parsed.node, ...parsed.lookarounds]) {
    const risk = nodeRisk(node, pattern);
    if (risk !== null) return risk;
  }
  return null;
}
