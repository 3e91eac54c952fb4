// The broker URL redactor (src/config/redact-url.ts): whatever a user puts in the userinfo
// of mqtt.url, the password never survives redaction.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { describeValue } from '../../../src/config/messages.ts';
import { redactUrl } from '../../../src/config/redact-url.ts';

/** The characters that confuse URL parsers, plus a few ordinary ones. */
const tricky = fc.string({
  unit: fc.constantFrom('@', ':', '/', '%', '?', '#', 'a', 'B', '7', '-', '.', ' ', 'é'),
  minLength: 1,
  maxLength: 24,
});

describe('redactUrl', () => {
  it('removes the userinfo up to the last @ (the password may contain @)', () => {
    assert.equal(redactUrl('mqtt://gw2:p@ssw0rd@127.0.0.1:1883'), 'mqtt://127.0.0.1:1883');
    assert.equal(redactUrl('wss://u:a@b@broker.example:8884/mqtt'), 'wss://broker.example:8884/mqtt');
    assert.equal(redactUrl('mqtts://broker.example:8883'), 'mqtts://broker.example:8883');
    assert.equal(redactUrl('mqtt://[::1]:1883'), 'mqtt://[::1]:1883');
  });

  it('never contains the password, for arbitrary user and password strings (raw and percent-encoded)', () => {
    let runs = 0;
    for (const [scheme, rest] of [
      ['mqtt', '127.0.0.1:1883'],
      ['wss', 'broker.example:8884/mqtt'],
    ] as const)
      fc.assert(
        fc.property(tricky, tricky, fc.boolean(), (user, password, encode) => {
          runs += 1;
          const [u, p] = encode ? [encodeURIComponent(user), encodeURIComponent(password)] : [user, password];
          const url = `${scheme}://${u}:${p}@${rest}`;
          const redacted = redactUrl(url);
          assert.equal(redacted, `${scheme}://${rest}`);
          // The exact form above already excludes it; said once more in the words of the rule
          // (after `scheme://`, and only when the password is not part of the host itself).
          const after = redacted.slice(scheme.length + 3);
          if (!rest.includes(p)) assert.ok(!after.includes(p), `password left in ${redacted}`);
        }),
        { numRuns: 500 },
      );
    console.log(`redactUrl property: ${runs} URLs checked`);
  });

  it('a config error quoting a refused mqtt.url leaves the userinfo out', () => {
    // The schema refuses whitespace in a URL, and its message quotes the value.
    const quoted = describeValue('mqtt://gw:my p@ss@broker.lan:1883', false);
    assert.equal(quoted, '"mqtt://broker.lan:1883"');
  });
});
