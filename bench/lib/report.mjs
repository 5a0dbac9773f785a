// Aggregation (medians of per-run ratios to raw ws), the console tables, the SVG charts and the
// generated part of docs/benchmarks.md.

export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** The metrics, how to show them, and which direction is better. */
export const METRICS = {
  throughput: { title: 'Throughput', unit: 'msg/s', better: 'higher', fmt: (v) => Math.round(v).toLocaleString('en-US') },
  p50: { title: 'Latency p50', unit: 'ms', better: 'lower', fmt: (v) => (v / 1000).toFixed(3) },
  p90: { title: 'Latency p90', unit: 'ms', better: 'lower', fmt: (v) => (v / 1000).toFixed(3) },
  p99: { title: 'Latency p99', unit: 'ms', better: 'lower', fmt: (v) => (v / 1000).toFixed(3) },
  fanoutSmall: { title: 'Fan-out', unit: 'ms', better: 'lower', fmt: (v) => v.toFixed(1) },
  fanoutLarge: { title: 'Fan-out', unit: 'ms', better: 'lower', fmt: (v) => v.toFixed(1) },
  fanoutSmall1: { title: 'Fan-out, one client process', unit: 'ms', better: 'lower', fmt: (v) => v.toFixed(1) },
  fanoutLarge1: { title: 'Fan-out, one client process', unit: 'ms', better: 'lower', fmt: (v) => v.toFixed(1) },
  rssSmall: { title: 'Server RSS per idle connection', unit: 'KB', better: 'lower', fmt: (v) => (v / 1024).toFixed(1) },
  heapSmall: { title: 'Server heap per idle connection', unit: 'KB', better: 'lower', fmt: (v) => (v / 1024).toFixed(2) },
  rssLarge: { title: 'Server RSS per idle connection', unit: 'KB', better: 'lower', fmt: (v) => (v / 1024).toFixed(1) },
  heapLarge: { title: 'Server heap per idle connection', unit: 'KB', better: 'lower', fmt: (v) => (v / 1024).toFixed(2) },
};

/** { system: { metric: { value, ratio, runs } } } from raw per-run results. */
export function aggregate(raw, systems) {
  const out = {};
  for (const s of systems) {
    out[s.name] = {};
    for (const metric of Object.keys(METRICS)) {
      const values = raw.runs.map((run) => run[s.name]?.[metric]);
      const ratios = raw.runs.map((run) => {
        const v = run[s.name]?.[metric];
        const base = run.ws?.[metric];
        return typeof v === 'number' && typeof base === 'number' && base !== 0 ? v / base : undefined;
      });
      const value = median(values);
      if (value === undefined) continue;
      out[s.name][metric] = { value, ratio: median(ratios), runs: values.filter((v) => v !== undefined).length };
    }
  }
  return out;
}

const ratioText = (r) => (r === undefined ? '–' : `${r.toFixed(2)}×`);

function cell(agg, system, metric) {
  const m = agg[system]?.[metric];
  if (!m) return '–';
  return `${METRICS[metric].fmt(m.value)} (${ratioText(m.ratio)})`;
}

/** Rows of [label, ...cells] per scenario table. */
export function tables(agg, systems, sizes, skipped) {
  const rows = (metrics) => systems.map((s) => [s.label, ...metrics.map((m) => (skipped[s.name] ? 'skipped' : cell(agg, s.name, m)))]);
  return [
    {
      key: 'throughput',
      title: `Throughput (msg/s; one publisher → server → one subscriber)`,
      head: ['system', 'msg/s (× ws)'],
      rows: rows(['throughput']),
    },
    {
      key: 'latency',
      title: 'Latency (ms, publish → receive, one message at a time)',
      head: ['system', 'p50 (× ws)', 'p90 (× ws)', 'p99 (× ws)'],
      rows: rows(['p50', 'p90', 'p99']),
    },
    {
      key: 'fanout',
      title: 'Fan-out (ms, server-side send → the last subscriber has it)',
      head: ['system', `${sizes.fanoutSmall} subscribers (× ws)`, `${sizes.fanoutLarge} subscribers (× ws)`],
      rows: rows(['fanoutSmall', 'fanoutLarge']),
    },
    {
      key: 'fanout1',
      title: 'Fan-out, every subscriber in one client process (what a quick test looks like; ms)',
      head: ['system', `${sizes.fanoutSmall} subscribers (× ws)`, `${sizes.fanoutLarge} subscribers (× ws)`],
      rows: rows(['fanoutSmall1', 'fanoutLarge1']),
    },
    {
      key: 'memory',
      title: 'Memory (server KB per idle subscribed connection, after GC)',
      head: [
        'system',
        `RSS @${sizes.memSmall} (× ws)`,
        `heap @${sizes.memSmall} (× ws)`,
        `RSS @${sizes.memLarge} (× ws)`,
        `heap @${sizes.memLarge} (× ws)`,
      ],
      rows: rows(['rssSmall', 'heapSmall', 'rssLarge', 'heapLarge']),
    },
  ];
}

export function printTable(t, log = console.log) {
  const all = [t.head, ...t.rows];
  const widths = t.head.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  log(`\n${t.title}`);
  for (const [j, r] of all.entries()) {
    log('  ' + r.map((c, i) => String(c).padEnd(widths[i])).join('  '));
    if (j === 0) log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

export function markdownTable(t) {
  const line = (r) => `| ${r.join(' | ')} |`;
  return [line(t.head), line(t.head.map(() => '---')), ...t.rows.map(line)].join('\n');
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A horizontal bar chart of ratios to raw ws (1.0 = raw ws), with an optional target line.
 * bars: [{ label, value }]; no dependencies, plain SVG.
 */
export function barChart({ title, subtitle, bars, target }) {
  const rowH = 26;
  const left = 190;
  const width = 640;
  const plotW = width - left - 70;
  const top = 48;
  const height = top + bars.length * rowH + 30;
  const max = Math.max(1.2, target ?? 0, ...bars.map((b) => b.value ?? 0)) * 1.1;
  const x = (v) => left + (v / max) * plotW;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="18" font-size="14" font-weight="600">${esc(title)}</text>`,
    `<text x="10" y="35" fill="#555">${esc(subtitle)}</text>`,
  ];
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(b.label)}</text>`);
    if (b.value === undefined) {
      parts.push(`<text x="${left + 4}" y="${y + 15}" fill="#888">${esc(b.note ?? 'n/a')}</text>`);
      return;
    }
    const fill = b.label.startsWith('anywire') ? '#2b6cb0' : b.label === 'raw ws' ? '#555' : '#c05621';
    parts.push(`<rect x="${left}" y="${y + 4}" width="${Math.max(1, x(b.value) - left).toFixed(1)}" height="${rowH - 8}" fill="${fill}"/>`);
    parts.push(`<text x="${(x(b.value) + 4).toFixed(1)}" y="${y + 15}">${b.value.toFixed(2)}×</text>`);
  });
  const bottom = top + bars.length * rowH;
  parts.push(`<line x1="${x(1).toFixed(1)}" y1="${top}" x2="${x(1).toFixed(1)}" y2="${bottom}" stroke="#555" stroke-dasharray="2,2"/>`);
  parts.push(`<text x="${x(1).toFixed(1)}" y="${bottom + 14}" text-anchor="middle" fill="#555">raw ws = 1</text>`);
  if (target !== undefined) {
    parts.push(
      `<line x1="${x(target).toFixed(1)}" y1="${top}" x2="${x(target).toFixed(1)}" y2="${bottom}" stroke="#2f855a" stroke-width="2"/>`,
    );
    parts.push(`<text x="${x(target).toFixed(1)}" y="${bottom + 26}" text-anchor="middle" fill="#2f855a">target ${target}×</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
