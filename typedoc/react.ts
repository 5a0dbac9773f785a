/**
 * React hooks: `AnywireProvider`, `useChannel`, `usePresence`, `useConnectionState`
 * (`react` ≥ 18 is an optional peer dependency). Guide: docs/react.md.
 *
 * @module anywire/react
 */
export * from '../src/react/index.js';
