import { describe, expect, it } from 'vitest';
import { parseCli, serveFlags, serveHelp } from './cli-args.js';

const error = (argv: string[]) => {
  const r = parseCli(argv);
  if (r.kind !== 'usage-error') throw new Error(`expected a usage error, got ${r.kind}`);
  expect(r.exitCode).toBe(2);
  expect(r.message).not.toContain('\n');
  return r.message;
};

describe('parseCli', () => {
  it('serve with defaults', () => {
    expect(parseCli(['serve'])).toEqual({
      kind: 'serve',
      values: { port: '8080', host: '127.0.0.1', expose: false, path: '/anywire', redis: undefined, metrics: false, help: false },
    });
  });

  it('accepts --flag value and --flag=value', () => {
    const r = parseCli(['serve', '--port', '0', '--host=::1', '--path', '/rt', '--redis=redis://127.0.0.1:6379']);
    expect(r).toMatchObject({ kind: 'serve', values: { port: '0', host: '::1', path: '/rt', redis: 'redis://127.0.0.1:6379' } });
  });

  it('help and version', () => {
    for (const argv of [['--help'], ['-h'], ['help']])
      expect(parseCli(argv)).toMatchObject({ kind: 'help', text: expect.stringMatching(/anywire serve \[options\]/) });
    for (const argv of [
      ['serve', '--help'],
      ['serve', '-h'],
      ['serve', '--port', '1', '--help'],
    ])
      expect(parseCli(argv)).toEqual({ kind: 'help', text: serveHelp() });
    expect(parseCli(['--version'])).toEqual({ kind: 'version' });
    expect(parseCli(['-v'])).toEqual({ kind: 'version' });
  });

  it('every flag is in the help with its default', () => {
    const text = serveHelp();
    for (const [name, spec] of Object.entries(serveFlags)) {
      expect(text).toContain(`--${name}`);
      const def = 'default' in spec ? spec.default : 'defaultText' in spec ? spec.defaultText : undefined;
      if (def) expect(text).toContain(`(default: ${def})`);
    }
  });

  it('one line for each bad flag, value or command', () => {
    expect(error(['--x'])).toBe('unknown option --x (see anywire --help)');
    expect(error(['--definitely-not-a-flag=1'])).toBe('unknown option --definitely-not-a-flag (see anywire --help)');
    expect(error(['serve', '--definitely-not-a-flag'])).toBe('unknown option --definitely-not-a-flag (see anywire serve --help)');
    expect(error(['serve', '-x'])).toBe('unknown option -x (see anywire serve --help)');
    expect(error([])).toBe('missing command (see anywire --help)');
    expect(error(['start'])).toBe('unknown command "start" (see anywire --help)');
    expect(error(['serve', 'extra'])).toBe('unexpected argument "extra" (see anywire serve --help)');
    expect(error(['serve', '--port'])).toBe('option --port needs a value (see anywire serve --help)');
    expect(error(['serve', '--port', '--host', 'x'])).toBe('option --port needs a value (see anywire serve --help)');
    expect(error(['serve', '--port', 'nope'])).toBe('--port must be an integer 0–65535, got "nope" (see anywire serve --help)');
    expect(error(['serve', '--port', '-1'])).toMatch(/^--port must be an integer 0–65535, got "-1"/);
    expect(error(['serve', '--port=65536'])).toMatch(/^--port must be/);
    expect(error(['serve', '--port', '1.5'])).toMatch(/^--port must be/);
    expect(error(['serve', '--path', 'anywire'])).toBe('--path must start with "/", got "anywire" (see anywire serve --help)');
    expect(error(['serve', '--redis', 'http://x'])).toMatch(/^--redis must be a redis:\/\/ or rediss:\/\/ URL, got "http:\/\/x"/);
    expect(error(['serve', '--host', ''])).toMatch(/^--host must be a host name or an IP address/);
    expect(error(['serve', '--port', '1', '--port', '2'])).toBe('option --port was given twice (see anywire serve --help)');
    expect(error(['serve', '--help=yes'])).toBe('option --help takes no value (see anywire serve --help)');
    expect(error(['--version', 'serve'])).toMatch(/^unexpected argument "serve" after --version/);
    expect(error(['serve', '--constructor'])).toMatch(/^unknown option --constructor/);
  });
});
