import { describe, expect, it } from 'vitest';
import {
  decodeIPv4Hex,
  decodeIPv6Hex,
  formatIPv6,
  hasSignal,
  mergeTcpReads,
  parseNetTcp,
  parseProcStatus,
  procError,
  threadActivity,
} from '../../src/target/proc.js';
import { ExitCode, NoSuchProcessError, PermissionDeniedError } from '../../src/errors.js';

// Captured from a little-endian (x86-64) Linux host, trailing spaces included.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     
   0: 0100007F:AB35 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 8283 1 00000000709b8142 100 0 0 10 0                      
   1: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1062 1 000000005d20c18a 100 0 0 10 0                      
   2: 0100007F:AC94 0100007F:2476 06 00000000:00000000 03:000008A6 00000000     0        0 0 3 000000000e84da8b                                      
   3: 0201A8C0:0016 6401A8C0:D431 01 00000000:00000000 02:000A7D8B 00000000  1000        0 44120 4 0000000000000000 20 4 30 10 -1                    
`;

const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:A61B 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 8281 1 000000006680f5d3 100 0 0 10 0
   1: 00000000000000000000000000000000:B66D 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 8282 1 00000000ec1e2d92 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:947D 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 8284 1 00000000a96a3fa4 100 0 0 10 0
   3: 000000FD000000000000000002000000:1F90 B80D0120000000000000000001000000:C350 01 00000000:00000000 00:00000000 00000000  1000        0 9001 1 0000000000000000 20 4 30 10 -1
`;

describe('parseNetTcp (IPv4)', () => {
  const rows = parseNetTcp(TCP, 4, true);

  it('skips the header and decodes every row', () => {
    expect(rows).toHaveLength(4);
  });

  it('decodes little-endian addresses and big-endian ports', () => {
    expect(rows[0]).toEqual({
      localAddress: '127.0.0.1',
      localPort: 0xab35,
      remoteAddress: '0.0.0.0',
      remotePort: 0,
      state: '0A',
      uid: 0,
      inode: '8283',
    });
    expect(rows[1]).toMatchObject({ localAddress: '0.0.0.0', localPort: 2024, state: '0A', inode: '1062' });
    expect(rows[3]).toMatchObject({
      localAddress: '192.168.1.2',
      localPort: 22,
      remoteAddress: '192.168.1.100',
      remotePort: 0xd431,
      state: '01',
      uid: 1000,
      inode: '44120',
    });
  });

  it('keeps non-LISTEN rows with their state so callers can filter', () => {
    expect(rows.filter((r) => r.state === '0A').map((r) => r.localPort)).toEqual([0xab35, 2024]);
    expect(rows[2]).toMatchObject({ remotePort: 9334, state: '06', inode: '0' });
  });

  it('honours big-endian hosts', () => {
    expect(parseNetTcp(TCP, 4, false)[0].localAddress).toBe('1.0.0.127');
  });

  it('ignores garbage and empty text', () => {
    expect(parseNetTcp('', 4)).toEqual([]);
    expect(parseNetTcp('hello\n  0: zz:zz\n', 4)).toEqual([]);
    // an IPv6 row fed as IPv4 is rejected, not mis-decoded
    expect(parseNetTcp(TCP6, 4)).toEqual([]);
  });
});

describe('mergeTcpReads', () => {
  // The kernel fills /proc/net/tcp a page per read() and resumes by bucket and offset, so under
  // churn one read can show a row twice and another miss it (see CONNECTION_TABLE_READS in proc.ts).
  const [header, listen, otherListen, timeWait, established] = TCP.split('\n');
  const closeWait = established.replace(' 01 ', ' 08 ');

  it('keeps one row per inode, fills a row the first read missed, takes the later state, drops inode 0', () => {
    const first = [header, listen, established, established, timeWait].join('\n');
    const second = [header, listen, otherListen, closeWait].join('\n');
    const rows = mergeTcpReads([
      { family: 4, text: first },
      { family: 4, text: second },
    ]);
    expect(rows.map((row) => [row.inode, row.state, row.family])).toEqual([
      ['8283', '0A', 4],
      ['44120', '08', 4],
      ['1062', '0A', 4],
    ]);
  });

  it('lists IPv4 rows before IPv6 ones, whichever read found them', () => {
    const rows = mergeTcpReads([
      { family: 4, text: [header, listen].join('\n') },
      { family: 6, text: TCP6 },
      { family: 4, text: [header, listen, otherListen].join('\n') },
    ]);
    expect(rows.map((row) => row.family)).toEqual([4, 4, 6, 6, 6, 6]);
    expect(rows[1].inode).toBe('1062');
  });
});

describe('parseNetTcp (IPv6)', () => {
  const rows = parseNetTcp(TCP6, 6, true);

  it('decodes loopback, wildcard and IPv4-mapped listeners', () => {
    expect(rows.map((r) => [r.localAddress, r.localPort, r.state, r.inode])).toEqual([
      ['::1', 0xa61b, '0A', '8281'],
      ['::', 0xb66d, '0A', '8282'],
      ['::ffff:127.0.0.1', 0x947d, '0A', '8284'],
      ['fd00::2', 8080, '01', '9001'],
    ]);
  });

  it('decodes remote addresses', () => {
    expect(rows[3]).toMatchObject({ remoteAddress: '2001:db8::1', remotePort: 50000, uid: 1000 });
  });
});

describe('address helpers', () => {
  it('decodeIPv4Hex', () => {
    expect(decodeIPv4Hex('0100007F', true)).toBe('127.0.0.1');
    expect(decodeIPv4Hex('00000000', true)).toBe('0.0.0.0');
    expect(decodeIPv4Hex('7F000001', false)).toBe('127.0.0.1');
    expect(() => decodeIPv4Hex('7F0001', true)).toThrow();
  });

  it('decodeIPv6Hex', () => {
    expect(decodeIPv6Hex('00000000000000000000000001000000', true)).toBe('::1');
    expect(decodeIPv6Hex('00000000000000000000000000000001', false)).toBe('::1');
    expect(decodeIPv6Hex('000080FE00000000FF00FC00010000FE', true)).toBe('fe80::fc:ff:fe00:1');
  });

  it('formatIPv6 follows RFC 5952', () => {
    const b = (...groups: number[]) => groups.flatMap((g) => [g >> 8, g & 0xff]);
    expect(formatIPv6(b(0, 0, 0, 0, 0, 0, 0, 0))).toBe('::');
    expect(formatIPv6(b(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1))).toBe('2001:db8::1:0:0:1'); // first longest run
    expect(formatIPv6(b(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1))).toBe('2001:db8:0:1:1:1:1:1'); // no :: for one group
    expect(formatIPv6(b(1, 0, 0, 0, 0, 0, 0, 0))).toBe('1::');
    expect(formatIPv6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1])).toBe('::ffff:10.0.0.1');
  });
});

describe('status parsing', () => {
  const STATUS = [
    'Name:\tnode',
    'State:\tS (sleeping)',
    'Tgid:\t4242',
    'PPid:\t1',
    'Uid:\t1000\t1000\t1000\t1000',
    'SigBlk:\t0000000000000000',
    'SigIgn:\t0000000001001000',
    'SigCgt:\t0000000100004602',
    '',
  ].join('\n');

  it('parses key/value lines', () => {
    const s = parseProcStatus(STATUS);
    expect(s.get('Name')).toBe('node');
    expect(s.get('Uid')).toBe('1000\t1000\t1000\t1000');
    expect(s.get('SigCgt')).toBe('0000000100004602');
  });

  it('hasSignal reads bit (n-1)', () => {
    // node 20 on x86-64: SIGINT(2), SIGUSR1(10), SIGSEGV(11), SIGTERM(15), 33 (glibc-internal)
    const cgt = 0x100004602n;
    expect(hasSignal(cgt, 10)).toBe(true); // SIGUSR1
    expect(hasSignal(cgt, 2)).toBe(true);
    expect(hasSignal(cgt, 12)).toBe(false); // SIGUSR2
    expect(hasSignal(cgt, 33)).toBe(true);
    expect(hasSignal(0x14000n, 10)).toBe(false); // node with SIGUSR1 handler removed
  });
});

describe('procError', () => {
  const errno = (code: string) => Object.assign(new Error(code), { code });

  it('maps ENOENT/ESRCH to "no such process" (exit 3)', () => {
    for (const code of ['ENOENT', 'ESRCH']) {
      const e = procError(errno(code), 123, 'x');
      expect(e).toBeInstanceOf(NoSuchProcessError);
      expect((e as NoSuchProcessError).exitCode).toBe(ExitCode.NoSuchProcess);
    }
  });

  it('maps EACCES/EPERM to permission denied (exit 5) with a hint', () => {
    for (const code of ['EACCES', 'EPERM']) {
      const e = procError(errno(code), 123, 'x') as PermissionDeniedError;
      expect(e).toBeInstanceOf(PermissionDeniedError);
      expect(e.exitCode).toBe(ExitCode.PermissionDenied);
      expect(e.hint).toMatch(/same user|root/);
    }
  });

  it('passes other errors through', () => {
    const e = errno('EIO');
    expect(procError(e, 1, 'x')).toBe(e);
  });
});

describe('threadActivity', () => {
  it("reads this process's main-thread CPU time, which grows while it computes", () => {
    const before = threadActivity(process.pid)!.cpuMs;
    expect(before).toBeGreaterThanOrEqual(0);
    // Spin until the clock shows 50 ms more (a loaded machine gives us less than a core).
    const giveUp = Date.now() + 10_000;
    let now = before;
    while (now - before < 50 && Date.now() < giveUp) now = threadActivity(process.pid)!.cpuMs;
    expect(now - before).toBeGreaterThanOrEqual(50);
    // Reading its own stat, the thread is running.
    expect(threadActivity(process.pid)!.state).toBe('R');
  });

  it('is undefined for a process that does not exist', () => {
    expect(threadActivity(2 ** 22 + 17)).toBeUndefined();
  });
});
