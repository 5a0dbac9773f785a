// Real headless Chromium for the e2e tests: Debian's `chromium-headless-shell` driven by
// playwright-core (never a downloaded browser). CHROMIUM_PATH overrides the binary.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const args = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

function findChromium(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return fromEnv;
  try {
    const files = execFileSync('dpkg', ['-L', 'chromium-headless-shell'], { encoding: 'utf8' }).split('\n');
    const bin = files.find((f) => /\/bin\/chromium-headless-shell$/.test(f) && existsSync(f));
    if (bin) return bin;
  } catch {
    // not a Debian system, or the package is missing: fall through
  }
  if (existsSync('/usr/bin/chromium-headless-shell')) return '/usr/bin/chromium-headless-shell';
  throw new Error('chromium-headless-shell not found: apt-get install -y chromium-headless-shell, or set CHROMIUM_PATH');
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: findChromium(), args, headless: true });
}

/** Where screenshots go (gitignored). */
export function artifactPath(name: string): string {
  const dir = resolve(import.meta.dirname, '../../test-artifacts');
  mkdirSync(dir, { recursive: true });
  return resolve(dir, name);
}

/** Collects the page's uncaught errors and console errors, to show when a test fails. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}
