import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../../src/config/load.ts';
import { ConfigError } from '../../../src/errors.ts';

test('a field named availability is refused: it would overwrite the port status topic', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-collide-'));
  try {
    mkdirSync(join(dir, 'devices', 'status'), { recursive: true });
    writeFileSync(
      join(dir, 'devices', 'status', 'profile.yaml'),
      ['id: status', 'line: { format: kv }', 'fields:', '  availability: { type: string }'].join('\n'),
    );
    writeFileSync(join(dir, 'gateway.yaml'), 'ports:\n  - { name: p, path: /dev/null, device: status }\n');
    await assert.rejects(
      loadConfig({
        file: join(dir, 'gateway.yaml'),
        cwd: dir,
        env: {},
        shippedDevicesDir: join(dir, 'none'),
      }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 1);
        assert.equal(error.problems[0]?.path, 'fields.availability');
        assert.equal(error.problems[0]?.line, 4);
        assert.match(error.problems[0]?.message ?? '', /availability/);
        return true;
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
