// The core owns the contracts (grammar, transport interface) and never reaches into the adapters,
// the runtime entries or the server; nothing the client bundles imports zod.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = import.meta.dirname;
const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
const importsOf = (file: string) =>
  [...readFileSync(join(dir, file), 'utf8').matchAll(/^(?:import|export)[^;]*?from '([^']+)'/gms)].map((m) => m[1]!);

describe('src/core layering', () => {
  it.each(sources)('%s imports only core modules', (file) => {
    for (const spec of importsOf(file)) {
      if (file === 'schemas.ts' && spec === 'zod/mini') continue; // the server's validators
      expect(spec, `${file} imports ${spec}`).toMatch(/^\.\/[\w-]+\.js$/);
    }
  });

  it('only schemas.ts imports zod, and no client module imports schemas.ts', () => {
    for (const file of sources) {
      if (file === 'schemas.ts') continue;
      expect(importsOf(file)).not.toContain('./schemas.js');
    }
  });
});
