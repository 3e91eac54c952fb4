// `fields:` written with nothing after it is null in YAML. The profile-wide checks read the
// fields as written (so `check` reports everything in one run), and must not crash on it: a
// TypeError there would hide every problem behind a stack trace. Found by learn's property test.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { profileSchema } from '../../../src/config/schema.ts';

void describe('a profile whose `fields:` is empty (null in YAML)', () => {
  void it('is a problem at fields, not a crash of the profile-wide checks', () => {
    const parsed = profileSchema.safeParse({ id: 'x', line: { format: 'kv' }, ignore: ['a'], fields: null });
    assert.equal(parsed.success, false);
    assert.deepEqual(
      parsed.error?.issues.map((i) => i.path.join('.')),
      ['fields'],
    );
  });
});
