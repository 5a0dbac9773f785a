// The published types are the contract and nothing more: a consumer file compiled against the
// built dist/*.d.ts (resolved through package.json#exports, as an app resolves them) uses every
// contract name and finds no internal member (its @ts-expect-error lines must all be errors), and
// no declaration file of the client entries imports zod. Run after `npm run build`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const clientEntries = [
  'dist/index.d.ts',
  'dist/browser.d.ts',
  'dist/modular.d.ts',
  'dist/browser-modular.d.ts',
  'dist/transports/websocket.d.ts',
  'dist/transports/sse.d.ts',
  'dist/transports/long-polling.d.ts',
  'dist/transports/polling.d.ts',
];

/** Every declaration file reachable from `entry` by relative imports. */
function reachable(entry: string, seen = new Set<string>()): Set<string> {
  const file = join(root, entry);
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
    reachable(join(dirname(entry), m[1]!.replace(/\.js$/, '.d.ts')), seen);
  }
  return seen;
}

describe('published types', () => {
  it('the build exists', () => {
    for (const e of clientEntries) expect(existsSync(join(root, e)), `${e}: run \`npm run build\` first`).toBe(true);
  });

  it('no declaration file of a client entry imports zod (or any package)', () => {
    const files = new Set(clientEntries.flatMap((e) => [...reachable(e)]));
    for (const file of files) {
      // Code only: doc comments may show imports as examples.
      const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
      expect(text, file).not.toMatch(/^(?:import|export)[^;]*from '(?!\.)/m);
      expect(text, file).not.toMatch(/zod/);
    }
  });

  it('a consumer compiles against them, and no internal member is reachable', () => {
    const consumer = join(root, 'test/package/fixtures/consumer.ts');
    const program = ts.createProgram([consumer], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: [],
      skipLibCheck: false,
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file
        ? `${d.file.fileName.replace(root + '/', '')}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
        : '';
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(diagnostics).toEqual([]);
    // Resolved to the built declarations, not to src/.
    const files = program.getSourceFiles().map((f) => f.fileName);
    expect(files.some((f) => f.endsWith('dist/browser.d.ts') || f.endsWith('dist/index.d.ts'))).toBe(true);
    expect(files.some((f) => f.includes('/src/'))).toBe(false);
  });
});
