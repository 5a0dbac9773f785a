import { describe, expect, it } from 'vitest';
import { codes, type Codes } from './codes.js';

describe('codes', () => {
  it('has exactly the codes of its type, each equal to its name', () => {
    // A Record over the type's keys: the compiler fails this file when a code is added to one only.
    const expected: Record<keyof Codes, true> = {
      UNAUTHORIZED: true,
      FORBIDDEN: true,
      PAYLOAD_TOO_LARGE: true,
      BAD_REQUEST: true,
      RATE_LIMITED: true,
      TIMEOUT: true,
      CLOSED: true,
      TRANSPORTS_EXHAUSTED: true,
      PROTOCOL_ERROR: true,
      SERVER_SHUTTING_DOWN: true,
      BROKER_UNAVAILABLE: true,
      SESSION_INVALID: true,
      SLOW_CONSUMER: true,
      DISCONNECTED: true,
      TOKEN_EXPIRED: true,
      LISTENER_ERROR: true,
      LIMIT_EXCEEDED: true,
    };
    expect(Object.keys(codes).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, code] of Object.entries(codes)) expect(code).toBe(name);
  });
});
