// Prints the top self-time frames of a .cpuprofile: `node bench/lib/top-frames.mjs FILE [N]`.
import { readFileSync } from 'node:fs';

const [file, n = '25'] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const self = new Map();
const byId = new Map(prof.nodes.map((node) => [node.id, node]));
const dt = new Map();
for (let i = 0; i < prof.samples.length; i++) {
  dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
}
let total = 0;
for (const [id, us] of dt) {
  const node = byId.get(id);
  const cf = node.callFrame;
  const key = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*\/(node_modules\/)?/, '')}:${cf.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + us);
  total += us;
}
const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(n));
for (const [k, us] of rows) console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
