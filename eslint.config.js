// ESLint 9 flat config with typescript-eslint 8: the recommended rules of both, over src/, test/
// and bench/ (not dist/), and the rules of hooks for anywire/react. Run with `npm run lint`.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-artifacts/**', 'bench/node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        // Both runtimes' globals the code uses (no browser-only or Node-only assumptions in src/core).
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        queueMicrotask: 'readonly',
        structuredClone: 'readonly',
        URL: 'readonly',
        URLSearchParams: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        fetch: 'readonly',
        Response: 'readonly',
        Request: 'readonly',
        Headers: 'readonly',
        ReadableStream: 'readonly',
        WebSocket: 'readonly',
        EventSource: 'readonly',
        window: 'readonly',
        document: 'readonly',
        navigator: 'readonly',
        reportError: 'readonly',
        setImmediate: 'readonly',
        clearImmediate: 'readonly',
        performance: 'readonly',
        crypto: 'readonly',
        btoa: 'readonly',
        atob: 'readonly',
      },
    },
    rules: {
      // `_`-prefixed names are deliberately unused (a parameter an override must keep).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Allowed with a reason, as the code base does.
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-expect-error': 'allow-with-description' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always'],
      // A `let` read by a closure written above its one assignment cannot be a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      'no-var': 'error',
    },
  },
  {
    // TypeScript checks names itself (and knows the DOM and Node types); no-undef only misfires.
    files: ['**/*.ts'],
    rules: { 'no-undef': 'off' },
  },
  {
    // anywire/react: the rules of hooks.
    files: ['src/react/**', 'test/**/*.tsx', 'examples/**'],
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    // Test fakes may return classes that close over their factory (`const bus = this`).
    files: ['**/*.test.ts', 'test/**'],
    rules: { '@typescript-eslint/no-this-alias': 'off' },
  },
  {
    // Code run in the page by page.evaluate() reads the test's globals off `window`.
    files: ['test/e2e/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The type test's consumer: `@ts-expect-error` lines name what must not compile.
    files: ['test/package/fixtures/**'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
