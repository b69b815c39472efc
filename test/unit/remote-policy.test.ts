import { describe, expect, it } from 'vitest';
import { InspectorUnavailableError, UsageError } from '../../src/errors.js';
import { checkDebuggerUrl, checkUserAddress, isLoopbackHost, isWildcardHost } from '../../src/target/remote-policy.js';

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::ffff:7f00:1', 'localhost', 'LOCALHOST', 'app.localhost'])(
    '%s is loopback',
    (host) => expect(isLoopbackHost(host)).toBe(true),
  );
  it.each(['0.0.0.0', '::', '10.0.0.1', '192.0.2.2', '::ffff:10.0.0.1', '2001:db8::1', 'example.com', 'localhost.example.com', '128.0.0.1', ''])(
    '%s is not',
    (host) => expect(isLoopbackHost(host)).toBe(false),
  );
});

describe('isWildcardHost', () => {
  it.each(['0.0.0.0', '::', '[::]'])('%s is every address', (host) => expect(isWildcardHost(host)).toBe(true));
  it.each(['127.0.0.1', '::1', '[::1]', '10.0.0.1', 'localhost', ''])('%s is not', (host) => expect(isWildcardHost(host)).toBe(false));
});

describe('checkUserAddress', () => {
  it('lets loopback through silently', () => {
    const warnings: string[] = [];
    checkUserAddress('127.0.0.1', 'x', { onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
  });
  it('refuses a remote host without allowRemote', () => {
    expect(() => checkUserAddress('10.1.2.3', 'the inspector at 10.1.2.3:9229', {})).toThrow(UsageError);
  });
  it('warns about a remote host with allowRemote', () => {
    const warnings: string[] = [];
    checkUserAddress('10.1.2.3', 'the inspector at 10.1.2.3:9229', { allowRemote: true, onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([expect.stringMatching(/^connecting to the inspector at 10\.1\.2\.3:9229, which is not a loopback address/)]);
  });
});

describe('checkDebuggerUrl', () => {
  it('refuses a /json/list pointing elsewhere', () => {
    expect(() => checkDebuggerUrl('ws://10.1.2.3:9229/x', 'the inspector at 127.0.0.1:9229', {})).toThrow(InspectorUnavailableError);
  });
  it('does not warn twice about the host the user chose', () => {
    const warnings: string[] = [];
    checkDebuggerUrl('ws://10.1.2.3:9229/x', 'y', { allowRemote: true, onWarning: (m) => warnings.push(m) }, '10.1.2.3');
    expect(warnings).toEqual([]);
  });
  it('rejects an unparsable URL', () => {
    expect(() => checkDebuggerUrl('ws://[nope/x', 'y', {})).toThrow(InspectorUnavailableError);
  });
});
