// How locations read in every view: relative to the target's working directory, library files
// from their package on; the JSON (not tested here) keeps the whole URL.

import { describe, expect, it } from 'vitest';
import { formatLocation, libraryPath } from '../../src/render/location.js';
import { renderView } from '../../src/cli/view-options.js';
import { documentOf, node } from '../helpers/documents.js';

describe('locations people read', () => {
  it('library frames read from the package on, after the last node_modules/', () => {
    expect(libraryPath('/srv/app/node_modules/undici/lib/web/fetch/index.js')).toBe('undici/lib/web/fetch/index.js');
    expect(libraryPath('node_modules/@scope/pkg/x.js')).toBe('@scope/pkg/x.js');
    expect(libraryPath('/a/node_modules/b/node_modules/c/d.js')).toBe('c/d.js');
    expect(libraryPath('/a/my_node_modules/x.js')).toBe('/a/my_node_modules/x.js');
    expect(libraryPath('src/server.js')).toBe('src/server.js');
    const where = { url: 'file:///srv/app/node_modules/undici/lib/web/fetch/index.js', line: 525, column: 9 };
    expect(formatLocation(where, { cwd: '/srv/app' })).toBe('undici/lib/web/fetch/index.js:525:9');
    expect(formatLocation(where, {})).toBe('undici/lib/web/fetch/index.js:525:9');
    // The hyperlink still opens the whole path.
    expect(formatLocation(where, { hyperlinks: true })).toBe(
      '\x1b]8;;file:///srv/app/node_modules/undici/lib/web/fetch/index.js\x1b\\undici/lib/web/fetch/index.js:525:9\x1b]8;;\x1b\\',
    );
  });

  it("paths are relative to the target's working directory when the document has it", () => {
    const doc = documentOf([node({ id: 1, kind: 'async-function', name: 'main', at: 'server.js:3:5' })], { cwd: '/app' });
    const style = { colors: false, hyperlinks: false, cwd: '/elsewhere' };
    expect(renderView(doc, 'tree', {}, style)).toContain('└── main  server.js:3:5\n');
    expect(renderView(doc, 'table', {}, style)).toContain('main      server.js:3:5');
    expect(JSON.parse(renderView(doc, 'json', {}, style)).nodes[0].location.url).toBe('file:///app/server.js');
    // Without it, asyncgraph's own working directory.
    const { cwd: _cwd, ...target } = doc.target;
    expect(renderView({ ...doc, target }, 'tree', {}, style)).toContain('└── main  /app/server.js:3:5\n');
    expect(renderView({ ...doc, target }, 'tree', {}, { ...style, cwd: '/app' })).toContain('└── main  server.js:3:5\n');
  });
});
