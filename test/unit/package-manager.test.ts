// Which command lines only run a package manager (`npm start`'s own process): attach names the
// program below it instead (test/integration/errors.test.ts runs a real `npm start`).

import { describe, expect, it } from 'vitest';
import { packageManagerOf } from '../../src/target/package-manager.js';

describe('packageManagerOf', () => {
  it('knows npm, npx, yarn and pnpm by their title or their entry script', () => {
    const cases: [string[], string | null][] = [
      [['npm start', '', '', ''], 'npm'],
      [['npm exec vitest run'], 'npm'],
      [['npm'], 'npm'],
      [['pnpm', 'dev'], 'pnpm'],
      [['node', '/usr/bin/npm', 'start'], 'npm'],
      [['/usr/bin/node', '/usr/lib/node_modules/npm/bin/npm-cli.js', 'run', 'dev'], 'npm'],
      [['node', '/usr/lib/node_modules/npm/bin/npx-cli.js', 'tsx', 'app.ts'], 'npx'],
      [['node', '/usr/local/lib/node_modules/yarn/bin/yarn.js', 'start'], 'yarn'],
      [['node', '/app/.yarn/releases/yarn-4.1.0.cjs', 'start'], 'yarn'],
      [['node', '--no-warnings', '/home/u/.local/share/pnpm/node_modules/pnpm/bin/pnpm.cjs', 'start'], 'pnpm'],
      // The programs themselves.
      [['node', 'server.js'], null],
      [['node', 'src/yarn.js'], null],
      [['node', '/app/node_modules/.bin/vitest', 'run'], null],
      [['npm-check'], null],
      [['node'], null],
      [[], null],
    ];
    for (const [argv, expected] of cases) expect(packageManagerOf(argv), argv.join(' ')).toBe(expected);
  });
});
