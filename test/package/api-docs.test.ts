// The API reference in docs/api/ is generated from the TSDoc of the public entry points
// (typedoc.json; TypeDoc 0.28 with typedoc-plugin-markdown). This regenerates it into a temporary
// folder and fails when docs/api/ differs (stale: run `npm run docs` and commit), and checks
// that every public option says its default.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Application, Comment, ReflectionKind, type DeclarationReflection, type ProjectReflection } from 'typedoc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const committed = join(root, 'docs/api');
let out: string;
let project: ProjectReflection;

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)))
    .sort();
}

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'anywire-api-'));
  const app = await Application.bootstrapWithPlugins({ options: join(root, 'typedoc.json'), out, logLevel: 'Error' });
  const converted = await app.convert();
  if (!converted) throw new Error('TypeDoc could not convert the entry points (run `npm run docs:api` to see why)');
  project = converted;
  await app.generateOutputs(project);
}, 180_000);
afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('docs/api', () => {
  it('is what the sources generate (else: npm run docs)', () => {
    const fresh = files(out);
    expect(files(committed), 'the files of docs/api (stale: run `npm run docs` and commit)').toEqual(fresh);
    const stale = fresh.filter((f) => readFileSync(join(out, f), 'utf8') !== readFileSync(join(committed, f), 'utf8'));
    expect(stale, 'files of docs/api that differ from what the sources generate (stale: run `npm run docs` and commit)').toEqual([]);
  });

  it('covers every public entry point', () => {
    expect(project.children?.map((m) => m.name).sort()).toEqual(['anywire', 'anywire/modular', 'anywire/react', 'anywire/server']);
  });

  it('every public option says its default (or that it is required)', () => {
    const missing: string[] = [];
    const checked = new Set<string>();
    for (const mod of project.children ?? []) {
      for (const type of mod.getChildrenByKind(ReflectionKind.Interface)) {
        if (!/Options$|Props$/.test(type.name)) continue;
        checked.add(type.name);
        for (const prop of (type.children ?? []) as DeclarationReflection[]) {
          const comment = prop.comment;
          const text = comment
            ? Comment.combineDisplayParts(comment.summary) +
              comment.blockTags.map((t) => `${t.tag} ${Comment.combineDisplayParts(t.content)}`).join(' ')
            : '';
          if (!/\bDefault\b|@defaultValue|\bRequired\b/.test(text)) missing.push(`${mod.name}: ${type.name}.${prop.name}`);
        }
      }
    }
    expect([...checked]).toEqual(
      expect.arrayContaining([
        'ClientOptions',
        'NodeClientOptions',
        'ReconnectOptions',
        'ServerOptions',
        'MemoryBrokerOptions',
        'RedisBrokerOptions',
        'HistoryOptions',
        'AnywireProviderProps',
      ]),
    );
    expect(missing).toEqual([]);
  });
});
