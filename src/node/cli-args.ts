/**
 * The `anywire` command line, parsed: commands, flags, their help text and every message for a bad
 * one. Pure (no process, no I/O) so it is tested directly; `cli.ts` acts on the result.
 *
 * A flag is declared once, in `serveFlags`: the parser, `anywire serve --help` and the tests all
 * read that table. To add one, add an entry and read `request.values.NAME` in cli.ts.
 */

/** One flag of `anywire serve`. */
export interface FlagSpec {
  /** 'string' takes a value (`--port 8080` or `--port=8080`); 'boolean' takes none. */
  type: 'string' | 'boolean';
  /** The value's placeholder in the help text, e.g. '<n>'. */
  value?: string;
  /** The default, as shown in the help and used when the flag is absent. */
  default?: string;
  /** What the default means when there is no literal one, e.g. 'in-memory broker'. */
  defaultText?: string;
  /** One line for the help text. */
  description: string;
  /** Returns a complaint (without the flag's name) when the value is not acceptable. */
  check?: (value: string) => string | undefined;
}

export const serveFlags = {
  port: {
    type: 'string',
    value: '<n>',
    default: '8080',
    description: 'port to listen on; 0 picks a free one',
    check: (v) => (/^\d{1,5}$/.test(v) && Number(v) <= 65535 ? undefined : 'must be an integer 0–65535'),
  },
  host: {
    type: 'string',
    value: '<address>',
    default: '127.0.0.1',
    description: 'address to bind; one other machines can reach needs --expose',
    check: (v) => (v.length > 0 && !/\s/.test(v) ? undefined : 'must be a host name or an IP address'),
  },
  expose: { type: 'boolean', description: 'allow a --host other machines can reach (e.g. 0.0.0.0; see docs/security.md)' },
  path: {
    type: 'string',
    value: '<path>',
    default: '/anywire',
    description: 'URL path anywire serves (the demo page stays at /)',
    check: (v) => (v.startsWith('/') ? undefined : 'must start with "/"'),
  },
  redis: {
    type: 'string',
    value: '<url>',
    defaultText: 'in-memory broker',
    description: 'Redis broker (redis:// or rediss://), to run several servers as one; needs ANYWIRE_SECRET',
    check: (v) => (/^rediss?:\/\/\S+$/.test(v) ? undefined : 'must be a redis:// or rediss:// URL'),
  },
  metrics: { type: 'boolean', description: 'serve Prometheus metrics at <path>/metrics (see docs/operations.md)' },
  help: { type: 'boolean', description: 'show this help' },
} satisfies Record<string, FlagSpec>;

export type ServeFlag = keyof typeof serveFlags;
export type ServeValues = {
  [K in ServeFlag]: (typeof serveFlags)[K] extends { type: 'boolean' }
    ? boolean
    : (typeof serveFlags)[K] extends { default: string }
      ? string
      : string | undefined;
};

/** What the command line asks for. `exitCode` 2 means a bad command line. */
export type CliRequest =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'serve'; values: ServeValues }
  | { kind: 'usage-error'; message: string; exitCode: 2 };

/** Exit status for a bad command line (bad flag, value or command), as most Unix tools use. */
export const USAGE_ERROR = 2;
/** Exit status for a failure after the command line was accepted (a busy port, a crash). */
export const RUNTIME_ERROR = 1;

const shortFlags: Record<string, string> = { h: 'help', v: 'version' };

export function mainHelp(): string {
  return `anywire — realtime pub/sub over WebSocket, SSE, long polling and polling

Usage:
  anywire serve [options]   start a standalone server with a demo chat at /
  anywire --help            show this help (-h)
  anywire --version         print the version (-v)

Run \`anywire serve --help\` for the server's options.
`;
}

export function serveHelp(): string {
  const rows = Object.entries(serveFlags as Record<string, FlagSpec>).map(([name, spec]) => {
    const left = `${name === 'help' ? '-h, ' : ''}--${name}${spec.value ? ` ${spec.value}` : ''}`;
    const def = spec.default ?? spec.defaultText;
    return [left, spec.description + (def ? ` (default: ${def})` : '')] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return `Usage: anywire serve [options]

Starts an anywire server on its own http server, with a demo chat page at /.
Prints "anywire listening on http://HOST:PORT" once ready; SIGINT or SIGTERM closes it
gracefully and exits 0.

Options:
${rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`).join('\n')}

Environment:
  ANYWIRE_SECRET    with --redis: the key (at least 32 bytes, the same on every server) that
                    signs session ids

Exit status: 0 after a graceful close, 1 when the server cannot run (e.g. the port is busy),
2 for a bad command line.
`;
}

function usageError(message: string, helpCommand: string): CliRequest {
  return { kind: 'usage-error', message: `${message} (see ${helpCommand})`, exitCode: USAGE_ERROR };
}

/** Parses `process.argv.slice(2)`. Never throws. */
export function parseCli(argv: readonly string[]): CliRequest {
  const first = argv[0];
  if (first === undefined) return usageError('missing command', 'anywire --help');
  if (first === '--help' || first === '-h' || first === 'help') return { kind: 'help', text: mainHelp() };
  if (first === '--version' || first === '-v') {
    if (argv.length > 1) return usageError(`unexpected argument "${argv[1]}" after ${first}`, 'anywire --help');
    return { kind: 'version' };
  }
  if (first.startsWith('-')) return usageError(`unknown option ${optionName(first)}`, 'anywire --help');
  if (first !== 'serve') return usageError(`unknown command "${first}"`, 'anywire --help');
  return parseServe(argv.slice(1));
}

function optionName(arg: string): string {
  return arg.split('=', 1)[0]!;
}

function parseServe(args: readonly string[]): CliRequest {
  const help = 'anywire serve --help';
  const specs = serveFlags as Record<string, FlagSpec>;
  const values: Record<string, string | boolean | undefined> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-') || arg === '-' || arg === '--') return usageError(`unexpected argument "${arg}"`, help);
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
    } else {
      const long = arg.length === 2 ? shortFlags[arg[1]!] : undefined;
      if (long === undefined || !Object.hasOwn(specs, long)) return usageError(`unknown option ${arg}`, help);
      name = long;
    }
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) return usageError(`unknown option --${name}`, help);
    if (Object.hasOwn(values, name)) return usageError(`option --${name} was given twice`, help);
    if (spec.type === 'boolean') {
      if (inline !== undefined) return usageError(`option --${name} takes no value`, help);
      values[name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = args[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) return usageError(`option --${name} needs a value`, help);
      value = next;
      i++;
    }
    const complaint = spec.check?.(value);
    if (complaint) return usageError(`--${name} ${complaint}, got "${value}"`, help);
    values[name] = value;
  }
  if (values.help) return { kind: 'help', text: serveHelp() };
  for (const [name, spec] of Object.entries(specs)) {
    if (values[name] === undefined) values[name] = spec.type === 'boolean' ? false : spec.default;
  }
  return { kind: 'serve', values: values as ServeValues };
}
