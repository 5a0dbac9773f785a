// Token refresh without reconnecting, the client's half. When the server's welcome (or an `authd`)
// carries the identity's `exp`, a client with a `token` function asks it for a fresh token ahead
// of `exp` and hands it over on the open connection (an `auth` frame). When: a margin before
// `exp` of a fifth of the remaining life, at most 30 s, stretched by up to half again at random,
// so many clients connected at once do not refresh at one instant. A refused or failed refresh is
// tried again a second later (or halfway to `exp`, when that is sooner) until `exp` is 0.1 s away;
// past `exp` the server ends the connection with TOKEN_EXPIRED and the client reconnects, calling
// `token()`.

/**
 * A timer that calls `refresh` ahead of `exp` (seconds since the epoch), or undefined when there is
 * nothing to refresh (no `exp`, or it is too close).
 */
export function refreshTimer(exp: number | undefined, refresh: () => void, retry?: boolean): ReturnType<typeof setTimeout> | undefined {
  if (exp === undefined) return;
  const left = exp * 1000 - Date.now();
  const delay = retry ? Math.min(1000, left / 2) : left - Math.min(left / 5, 30_000) * (1 + Math.random() / 2);
  return left > 99 ? setTimeout(refresh, delay) : undefined;
}
