import { describe, expect, it } from 'vitest';
import { SessionTokens } from './session-token.js';

describe('SessionTokens', () => {
  const tokens = new SessionTokens('secret', 60_000);

  it('says whether a session id was issued to an SSE stream (only those POSTs are a stream sign of life)', () => {
    const polling = tokens.issue({ user: 'a' });
    const stream = tokens.issue({ user: 'a' }, true);
    expect(polling.claims.stream).toBe(false);
    expect(stream.claims.stream).toBe(true);
    expect(tokens.verify(polling.sid)).toEqual(polling.claims);
    expect(tokens.verify(stream.sid)).toEqual(stream.claims);
  });

  it('refuses an id whose claims were changed, signed with another secret, or expired', () => {
    const { sid } = tokens.issue({ user: 'a' });
    const [body, mac] = [sid.slice(0, sid.lastIndexOf('.')), sid.slice(sid.lastIndexOf('.') + 1)];
    const claims = JSON.parse(Buffer.from(body.slice(3), 'base64url').toString('utf8'));
    const forged = 'v1.' + Buffer.from(JSON.stringify({ ...claims, t: 1 })).toString('base64url') + '.' + mac;
    expect(tokens.verify(forged)).toBeUndefined();
    expect(new SessionTokens('other', 60_000).verify(sid)).toBeUndefined();
    expect(new SessionTokens('secret', -1).verify(new SessionTokens('secret', -1).issue(null).sid)).toBeUndefined();
  });
});
