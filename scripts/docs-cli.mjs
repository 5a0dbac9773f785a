// Writes the output of `anywire --help` and `anywire serve --help` (the built dist/cli.js) into
// the two ```text blocks at the top of docs/cli.md. `npm run docs` runs it after the API reference;
// test/integration/cli.test.ts fails while docs/cli.md differs from what the bin prints.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const bin = resolve(root, 'dist/cli.js');
const help = (args) => execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const file = resolve(root, 'docs/cli.md');
let n = 0;
const texts = [help(['--help']), help(['serve', '--help'])];
const doc = readFileSync(file, 'utf8').replace(/```text\n[\s\S]*?```/g, (block) =>
  n < texts.length ? '```text\n' + texts[n++] + '```' : block,
);
if (n !== texts.length) throw new Error('docs/cli.md: expected two ```text blocks for the help texts');
writeFileSync(file, doc);
