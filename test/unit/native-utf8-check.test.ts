import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const moduleUrl = new URL('../../dist/session/native-utf8-check.js', import.meta.url).href;

/** chromeRemoteInterface() in a process of its own (a fresh module cache, as in the CLI), after `before`. */
function loadInFreshProcess(before = ''): { fn: string; first: boolean } {
  const script = `
    import { createRequire } from 'node:module';
    const { chromeRemoteInterface, receiverUsesNodeUtf8Check } = await import(${JSON.stringify(moduleUrl)});
    ${before}
    const cdp = chromeRemoteInterface();
    process.stdout.write(JSON.stringify({ fn: typeof cdp, first: receiverUsesNodeUtf8Check() }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { fn: string; first: boolean };
}

describe('chromeRemoteInterface', () => {
  it("replaces ws's UTF-8 check before ws's receiver loads", () => {
    expect(loadInFreshProcess()).toEqual({ fn: 'function', first: true });
  });

  it('says so when the receiver was loaded before', () => {
    const loadClientFirst = `createRequire(import.meta.url)(createRequire(import.meta.url).resolve('chrome-remote-interface', { paths: [${JSON.stringify(process.cwd())}] }));`;
    expect(loadInFreshProcess(loadClientFirst)).toEqual({ fn: 'function', first: false });
  });

  it("the CLI's bundle imports neither chrome-remote-interface nor ws (a bundle evaluates imports before its own code)", () => {
    const bundle = readFileSync(new URL('../../dist/cli/asyncgraph.js', import.meta.url), 'utf8');
    expect(bundle).not.toMatch(/^import .*["'](chrome-remote-interface|ws)(\/[^"']*)?["']/m);
    expect(bundle).toContain('function chromeRemoteInterface(');
  });
});
