// The static check for slow profile regexes (src/config/regex-safety.ts), the message `check`
// prints for them (src/config/pattern-check.ts), and every place a profile pattern is checked.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadConfig } from '../../../src/config/load.ts';
import { patternProblem } from '../../../src/config/pattern-check.ts';
import { loadProfileById } from '../../../src/config/profiles.ts';
import { regexRisk } from '../../../src/config/regex-safety.ts';
import { ConfigError } from '../../../src/errors.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const kind = (pattern: string): string => regexRisk(pattern)?.kind ?? 'safe';

void describe('regexRisk', () => {
  void it('flags star height > 1: a quantified group holding a quantified element', () => {
    for (const p of [
      '^([A-Za-z0-9]+_?)*$',
      '(a+)+',
      '(a*)*',
      '(a+_?)*',
      '(?:a|b+)+',
      '(x+x+)+y',
      '(a{1,3})*',
    ])
      assert.equal(kind(p), 'exponential', p);
    assert.deepEqual(regexRisk('^([A-Za-z0-9]+_?)*$'), {
      kind: 'exponential',
      reason: 'nested quantifier: catastrophic backtracking',
      where: '([A-Za-z0-9]+_?)*',
    });
  });

  void it('flags quantified alternatives that overlap', () => {
    for (const p of ['(a|a)*', '(\\w|\\d)+', '(?:[a-c]|b)+$', '^(?:\\s|\\t)*x'])
      assert.deepEqual(
        regexRisk(p)?.reason,
        'overlapping alternatives under a quantifier: catastrophic backtracking',
        p,
      );
  });

  void it('flags adjacent quantifiers over the same characters as polynomial', () => {
    for (const p of ['\\d+\\d+', '^.*.*=', '\\s*(?<x>.*)$', '(.*a){12}', 'a*[ab]*c'])
      assert.equal(kind(p), 'polynomial', p);
    assert.equal(regexRisk('\\d+\\d+')?.where, '\\d+ … \\d+');
  });

  void it('checks lookaround bodies and quantified backreferences', () => {
    assert.equal(regexRisk('^(?=(a+)+b)')?.where, '(a+)+');
    assert.equal(regexRisk('(?<!(\\w|\\d)+)x')?.kind, 'exponential');
    assert.equal(kind('(a+)\\1+'), 'exponential');
    assert.equal(kind('^(?<q>["\'])x\\k<q>$'), 'safe');
    // A backreference is taken as "any characters": after a quantifier it is refused, on the
    // safe side, since what it repeats is only known at match time.
    assert.equal(kind('(?<q>["\'])(?<v>[^"\']*)\\k<q>'), 'polynomial');
  });

  void it('accepts common single-pass patterns', () => {
    for (const p of [
      '^ERR (?<reason>.+)$',
      '^OK PUMP (on|off)$',
      '^12;3;1;1;2;[01]$',
      '^T:(?<temp>-?[0-9.]+) H:(?<hum>[0-9.]+)(?: B:(?<batt>\\d+))?$',
      '^(?:\\d{1,3}\\.){3}\\d{1,3}$',
      '(\\d+\\.){3}\\d+',
      '^[0-9a-f]{6}$',
      '(?<k>\\w+)=(?<v>.*)',
      '^(a|b)*$',
      '^(ab|a)*$',
      '^\\s*(?<x>\\S.*)?$',
      '[\\s\\S]*',
      '^(?:[a-z]+,)*[0-9]+$',
      '^\\[(?<level>[A-Z]+)\\] (?<msg>[^\\r\\n]*)$',
      'a{2,}',
      '\\u0041\\x42\\cA[\\b-\\x7f]',
    ])
      assert.equal(regexRisk(p), null, p);
  });

  void it('counted ranges are loops: their optional copies are as ambiguous as + or *', () => {
    assert.equal(kind('^(?:[a-z]{1,16}){1,16}$'), 'exponential');
    assert.equal(kind('^\\w{0,5}\\w{0,5}$'), 'polynomial');
    assert.equal(kind('^(?:\\d{1,3}\\.){3}\\d{1,3}$'), 'safe');
    assert.equal(kind('^[0-9A-F]{2}(?::[0-9A-F]{2}){5}$'), 'safe');
  });

  void it('gives up on patterns too large or too tangled to check, and refuses them', () => {
    assert.equal(regexRisk('a'.repeat(500))?.kind, 'too_complex');
    // 100 overlapping alternatives under a loop: 10^8 automaton pairs; the work is bounded.
    assert.equal(regexRisk(`(?:${Array(100).fill('[a-z]').join('|')})+x`)?.kind, 'too_complex');
  });

  void it('rejects an invalid pattern instead of guessing', () => {
    assert.throws(() => regexRisk('(a'), SyntaxError);
  });
});

// ---- properties ----

const atom = fc.constantFrom('a', 'b', '[ab]', '\\w', '.', '[^b]', '[a-c]');
/** A pattern that can match "a": the letter every family below repeats. */
const matchesA = fc.constantFrom('a', '[ab]', '\\w', '.', '[^b]', '[a-c]');
const filler = fc.constantFrom('', 'x', '^', '=', '\\d', 'b?');

void describe('regexRisk properties', () => {
  void it('flags every member of the known exponential families', () => {
    let checked = 0;
    fc.assert(
      fc.property(
        matchesA,
        matchesA,
        atom,
        filler,
        filler,
        fc.constantFrom('*', '+', '{1,}', '{2,}'),
        fc.constantFrom('*', '+', '{1,}'),
        (x, y, other, before, afterwards, outer, inner) => {
          const families = [
            `(${x}${inner})${outer}`,
            `(?:${x}${inner}${other}?)${outer}`,
            `(?:${other}|${x}${inner})${outer}`,
            `(${x}|${y})${outer}`,
          ];
          for (const body of families) {
            const pattern = `${before}${body}${afterwards}$`;
            assert.equal(regexRisk(pattern)?.kind, 'exponential', pattern);
            checked++;
          }
        },
      ),
      { numRuns: 300, seed: 12 },
    );
    console.log(`exponential families: ${checked} patterns, all flagged`);
  });

  // A tiny grammar over {a, b}; every pattern the analyser accepts must finish on 64-character
  // adversarial lines. The budget (2 s in a vm context, which V8 interrupts) is for a match
  // that takes about 1 µs: only a missed exponential pattern (2^64 steps) can exceed it.
  const pattern: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      atom,
      fc.tuple(tie('node'), tie('node')).map(([p, q]) => `${p}${q}`),
      fc.tuple(tie('node'), tie('node')).map(([p, q]) => `(?:${p}|${q})`),
      fc.tuple(tie('node'), fc.constantFrom('*', '+', '?', '{1,3}', '{2,}')).map(([p, q]) => `(?:${p})${q}`),
    ),
  })).node;
  const lines = ['a'.repeat(64), 'ab'.repeat(32), 'b'.repeat(64), 'aab'.repeat(21)].flatMap((s) => [
    `${s}!`,
    `${s}\n`,
  ]);

  void it('patterns it accepts match 64-character adversarial lines without running away', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(pattern, (body) => {
        const source = `^(?:${body})$`;
        if (regexRisk(source) !== null) {
          refused++;
          return;
        }
        accepted++;
        const context = vm.createContext({ re: new RegExp(source), lines });
        assert.doesNotThrow(
          () => vm.runInContext('for (const line of lines) re.test(line)', context, { timeout: 2000 }),
          `accepted ${source} runs away on adversarial lines`,
        );
      }),
      { numRuns: 400, seed: 7 },
    );
    console.log(`random patterns: ${accepted} accepted and matched quickly, ${refused} refused`);
    assert.ok(accepted > 50 && refused > 50, `accepted ${accepted}, refused ${refused}`);
  });
});

// ---- where `check` applies it ----

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'tty2mqtt-regex-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The problem lines `check` prints for a profile `p` (profile.yaml text). */
async function problemsFor(profile: string): Promise<string[]> {
  return withTempDir(async (dir) => {
    await mkdir(join(dir, 'devices', 'p'), { recursive: true });
    await writeFile(join(dir, 'devices', 'p', 'profile.yaml'), profile);
    await writeFile(
      join(dir, 'gateway.yaml'),
      'devices_dir: devices\nports:\n  - name: a\n    path: /dev/ttyUSB0\n    device: p\n',
    );
    try {
      await loadConfig({ file: 'gateway.yaml', cwd: dir, env: {}, shippedDevicesDir: join(ROOT, 'devices') });
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e.message.split('\n');
    }
    return [];
  });
}

const BAD = '^([A-Za-z0-9]+_?)*$';
const WHY =
  '"^([A-Za-z0-9]+_?)*$" is refused: nested quantifier: catastrophic backtracking in ([A-Za-z0-9]+_?)* (a non-matching line of a few dozen bytes can block the gateway for seconds, doubling per byte); rewrite it so each character can be matched in only one way, e.g. ^([a-z0-9]+_?)*$ → ^[a-z0-9_]*$';

void describe('check refuses slow patterns wherever a profile has one', () => {
  void it('line.pattern', async () => {
    const pattern = '^(?<name>([A-Za-z0-9]+_?)*)$';
    const lines = await problemsFor(`id: p\nline:\n  format: regex\n  pattern: '${pattern}'\n`);
    assert.deepEqual(lines, [`devices/p/profile.yaml:4:12: line.pattern: ${WHY.replace(BAD, pattern)}`]);
  });

  void it('fields.*.pattern', async () => {
    const lines = await problemsFor(
      `id: p\nline: { format: kv }\nfields:\n  name: { type: string, pattern: '${BAD}' }\n`,
    );
    assert.deepEqual(lines, [`devices/p/profile.yaml:4:34: fields.name.pattern: ${WHY}`]);
  });

  void it('commands.*.reply.ok / error and commands.*.payload.pattern', async () => {
    const lines = await problemsFor(
      [
        'id: p',
        'line: { format: kv }',
        'commands:',
        '  say:',
        `    payload: { type: string, pattern: '${BAD}' }`,
        '    write: "SAY {value}"',
        `    reply: { ok: '^OK (\\w|\\d)+$', error: '^ERR \\d+\\d+$' }`,
        '',
      ].join('\n'),
    );
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.equal(lines[0], `devices/p/profile.yaml:5:39: commands.say.payload.pattern: ${WHY}`);
    assert.match(
      lines[1] ?? '',
      /^devices\/p\/profile\.yaml:7:18: commands\.say\.reply\.ok: "\^OK \(\\w\|\\d\)\+\$" is refused: overlapping alternatives under a quantifier: catastrophic backtracking in \(\\w\|\\d\)\+/,
    );
    assert.match(
      lines[2] ?? '',
      /^devices\/p\/profile\.yaml:7:42: commands\.say\.reply\.error: .* adjacent quantifiers that match the same characters: polynomial backtracking in \\d\+ … \\d\+ \(matching time grows with the square of the line length\)/,
    );
  });

  void it('the messages for an invalid pattern and one too large to check', () => {
    assert.match(patternProblem('(a') ?? '', /^is not a valid regular expression: /);
    assert.match(
      patternProblem('a'.repeat(500)) ?? '',
      /" is refused: it is too long or too complex to check for slow matching; simplify it$/,
    );
  });

  void it('accepts every shipped profile', async () => {
    const ids = (await readdir(join(ROOT, 'devices'), { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    assert.ok(ids.length >= 6, ids.join(', '));
    for (const id of ids) await loadProfileById(id, [join(ROOT, 'devices')], ROOT);
    console.log(`shipped profiles accepted: ${ids.join(', ')}`);
  });
});
