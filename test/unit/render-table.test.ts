import { describe, expect, it } from 'vitest';
import { renderTable } from '../../src/render/table.js';
import { documentOf, node, serviceDocument } from '../helpers/documents.js';

describe('renderTable', () => {
  it('prints one row per awaited-by edge, in reading order, identical rows once with a count', () => {
    expect(renderTable(serviceDocument(), { cwd: '/app' })).toBe(`\
FUNCTION                    LOCATION                              AWAITER                     AWAITER LOCATION                      COUNT
poll                        (defined at jobs.js:5:16)             -                           -
.then(parse "quoted")       (defined at jobs.js:2:20)             poll                        (defined at jobs.js:5:16)
Promise <pending>           -                                     .then(parse "quoted")       (defined at jobs.js:2:20)
main                        server.js:40:3                        -                           -
Promise.all                 -                                     main                        server.js:40:3
handleRequest               server.js:30:21                       Promise.all                 -                                     × 2
Db.query                    db.js:12:5                            handleRequest               server.js:30:21                       × 2
Promise <pending>           -                                     Db.query                    db.js:12:5                            × 2
runEntryPointWithESMLoader  node:internal/modules/run_main:117:5  -                           -
module app.mjs              app.mjs:3:1                           runEntryPointWithESMLoader  node:internal/modules/run_main:117:5
loadSettings                src/settings.ts:9:3                   module app.mjs              app.mjs:3:1
Promise <pending>           -                                     loadSettings                src/settings.ts:9:3
stepA                       cycle.js:3:3                          stepB                       cycle.js:8:3
stepB                       cycle.js:8:3                          stepA                       cycle.js:3:3
`);
  });

  it('has no COUNT column when every row is distinct, and a row per awaiter of a shared node', () => {
    const doc = documentOf([
      node({ id: 1, kind: 'async-function', name: 'a', at: 'x.js:1:1' }),
      node({ id: 2, kind: 'async-function', name: 'b', at: 'x.js:5:1' }),
      node({ id: 3, kind: 'async-function', name: 'shared', at: 'x.js:9:3', locationSource: 'inferred', by: [1, 2] }),
    ]);
    expect(renderTable(doc, { cwd: '/app' })).toBe(`\
FUNCTION  LOCATION             AWAITER  AWAITER LOCATION
a         x.js:1:1             -        -
shared    x.js:9:3 (inferred)  a        x.js:1:1
shared    x.js:9:3 (inferred)  b        x.js:5:1
b         x.js:5:1             -        -
`);
  });

  it('makes locations hyperlinks when asked, keeping the columns aligned', () => {
    const doc = documentOf([
      node({ id: 1, kind: 'async-function', name: 'main', at: 'x.js:1:1' }),
      node({ id: 2, kind: 'promise', name: 'Promise', by: [1] }),
    ]);
    const out = renderTable(doc, { cwd: '/app', hyperlinks: true, hostname: 'box' });
    expect(out).toContain('\x1b]8;;file://box/app/x.js\x1b\\x.js:1:1\x1b]8;;\x1b\\');
    // eslint-disable-next-line no-control-regex
    const visible = out.replace(/\x1b\]8;[^\x1b]*\x1b\\/g, '');
    expect(visible).toBe(renderTable(doc, { cwd: '/app' }));
  });

  it('prints just the headings for an empty graph', () => {
    expect(renderTable(documentOf([]))).toBe('FUNCTION  LOCATION  AWAITER  AWAITER LOCATION\n');
  });
});
