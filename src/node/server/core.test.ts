import { describe, expect, it } from 'vitest';
import { memoryBroker } from './brokers/memory.js';
import { ServerCore } from './core.js';
import { resolveServerOptions } from './options.js';

describe('ServerCore.payload', () => {
  const core = new ServerCore(resolveServerOptions({ maxPayload: 10 }), memoryBroker());

  it('measures the UTF-8 bytes of the JSON text against maxPayload, whatever the characters', () => {
    expect(core.payload('12345678')).toBe('"12345678"'); // 10 bytes
    expect(core.payload('éééé')).toBe('"éééé"'); // 10 bytes in 6 units
    expect(core.payload('😀😀')).toBe('"😀😀"'); // 10 bytes in 6 units
    expect(core.payload(123)).toBe('123');
    expect(core.payload('123456789')).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: 'payload of 11 bytes exceeds maxPayload 10' });
    expect(core.payload('ééééé')).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: 'payload of 12 bytes exceeds maxPayload 10' });
    expect(core.payload('😀😀a')).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: 'payload of 11 bytes exceeds maxPayload 10' });
  });

  it('counts binary data by its length and refuses what is not JSON', () => {
    expect(core.payload(new Uint8Array(10))).toEqual(new Uint8Array(10));
    expect(core.payload(new Uint8Array(11))).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(core.payload(undefined)).toEqual({ code: 'BAD_REQUEST', message: 'data is not a JSON value' });
    expect(core.payload(10n)).toEqual({ code: 'BAD_REQUEST', message: 'data is not a JSON value' });
  });
});
