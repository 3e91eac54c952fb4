// password-hash.ts against files made by the real /usr/bin/mosquitto_passwd (Mosquitto 2.0):
// $7$ (PBKDF2-SHA512, its default), $6$ (salted SHA-512, `-H sha512`), several users in one
// file, and the errors for a file that looks hashed but is not.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStoredPassword, verifyPassword } from '../../../src/secrets/password-hash.ts';
import type { StoredPassword } from '../../../src/secrets/password-hash.ts';
import { BoundedRunner } from '../../../src/broker/bounded-runner.ts';

function mosquittoPasswd(args: string[], users: [string, string][]): string {
  const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-passwd-'));
  try {
    const file = join(dir, 'passwd');
    users.forEach(([user, password], i) =>
      execFileSync('mosquitto_passwd', [...args, ...(i === 0 ? ['-c'] : []), '-b', file, user, password]),
    );
    return readFileSync(file, 'utf8').replace(/\n+$/, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parsed(username: string, content: string): StoredPassword {
  const result = parseStoredPassword(username, content);
  assert.ok(result.ok, JSON.stringify(result));
  return result.stored;
}

const yes = (s: StoredPassword, p: string): Promise<boolean> => verifyPassword(s, Buffer.from(p));

void describe('mosquitto_passwd hashes', () => {
  void it('verifies a $7$ (PBKDF2-SHA512) line as mosquitto_passwd writes it', async () => {
    const content = mosquittoPasswd([], [['alice', 'alice pass w0rd']]);
    assert.match(content, /^alice:\$7\$101\$/);
    const stored = parsed('alice', content);
    assert.equal(stored.kind, 'pbkdf2-sha512');
    assert.equal(await yes(stored, 'alice pass w0rd'), true);
    assert.equal(await yes(stored, 'alice pass w0rD'), false);
    assert.equal(await yes(stored, ''), false);
    // the bare hash, without `user:`, is accepted too
    assert.equal(await yes(parsed('alice', content.slice('alice:'.length)), 'alice pass w0rd'), true);
  });

  void it('honours the iteration count written in the hash (-I)', async () => {
    const content = mosquittoPasswd(['-I', '2000'], [['bob', 's3cret']]);
    assert.match(content, /^bob:\$7\$2000\$/);
    const stored = parsed('bob', content);
    assert.ok(stored.kind === 'pbkdf2-sha512' && stored.iterations === 2000);
    assert.equal(await yes(stored, 's3cret'), true);
    assert.equal(await yes(stored, 's3cres'), false);
  });

  void it('verifies a $6$ (salted SHA-512) line from `mosquitto_passwd -H sha512`', async () => {
    const content = mosquittoPasswd(['-H', 'sha512'], [['carol', 'c4rol']]);
    assert.match(content, /^carol:\$6\$/);
    const stored = parsed('carol', content);
    assert.equal(stored.kind, 'sha512');
    assert.equal(await yes(stored, 'c4rol'), true);
    assert.equal(await yes(stored, 'c4roL'), false);
  });

  void it('picks the configured user from a file of several users', async () => {
    const content = mosquittoPasswd(
      [],
      [
        ['alice', 'a-pass'],
        ['bob', 'b-pass'],
      ],
    );
    assert.equal(content.split('\n').length, 2);
    assert.equal(await yes(parsed('bob', content), 'b-pass'), true);
    assert.equal(await yes(parsed('bob', content), 'a-pass'), false);
    assert.equal(await yes(parsed('alice', content), 'a-pass'), true);
    const missing = parseStoredPassword('carol', content);
    assert.ok(!missing.ok && /without a line for user "carol"/.test(missing.reason));
  });
});

void describe('plain password files and malformed hashes', () => {
  void it('keeps only a digest of a plain password', async () => {
    const stored = parsed('dave', 'plain $ecret: with colon');
    assert.equal(stored.kind, 'plain-digest');
    assert.ok(!JSON.stringify(stored).includes('ecret'));
    assert.equal(await yes(stored, 'plain $ecret: with colon'), true);
    assert.equal(await yes(stored, 'plain $ecret'), false);
  });

  void it('refuses a file that looks hashed but does not parse, without quoting it', () => {
    const good = mosquittoPasswd([], [['erin', 'pw']]);
    const cases = [
      good.slice(0, -10), // truncated hash
      'erin:$7$0$c2FsdA==$aGFzaA==', // zero iterations
      'erin:$7$101$not base64!$aGFzaA==',
      '$6$c2FsdA==$c2hvcnQ=', // hash too short
      `${good}\nsomething else`,
      `${good}\n$7$101$c2FsdA==$aGFzaA==`, // a bare line among several
    ];
    for (const content of cases) {
      const result = parseStoredPassword('erin', content);
      assert.ok(!result.ok, content);
      assert.ok(!result.reason.includes(good.slice(10, 30)), result.reason);
    }
  });
});

void describe('BoundedRunner', () => {
  void it('runs at most N tasks at once and refuses past the waiting bound', async () => {
    const runner = new BoundedRunner(2, 3);
    let running = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const task = (): Promise<void> => {
      running++;
      peak = Math.max(peak, running);
      return new Promise<void>((resolve) =>
        releases.push(() => {
          running--;
          resolve();
        }),
      );
    };
    const accepted = Array.from({ length: 5 }, () => runner.run(task));
    assert.ok(accepted.every((p) => p !== undefined));
    assert.equal(runner.run(task), undefined, 'the 6th waits beyond the bound');
    await new Promise((r) => setImmediate(r));
    assert.equal(running, 2);
    while (releases.length > 0) {
      releases.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(accepted);
    assert.equal(peak, 2);
    assert.notEqual(
      runner.run(() => Promise.resolve()),
      undefined,
      'room again once drained',
    );
  });
});
