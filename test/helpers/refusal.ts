// What a refusal says: the message of the GatewayError with `code` that a call throws (or a
// promise rejects with); the test fails if it throws anything else or nothing at all.
import assert from 'node:assert/strict';
import { isGatewayError } from '../../src/errors.ts';
import type { ErrorCode } from '../../src/errors.ts';

export function refusalOf(run: () => unknown, code: ErrorCode): string {
  try {
    run();
  } catch (error) {
    assert.ok(isGatewayError(error, code), `not a ${code}: ${String(error)}`);
    return error.message;
  }
  assert.fail(`accepted (expected ${code})`);
}

export async function rejectionOf(promise: Promise<unknown>, code: ErrorCode): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isGatewayError(error, code), `not a ${code}: ${String(error)}`);
    return error.message;
  }
  assert.fail(`accepted (expected ${code})`);
}
