// The GitHub Action (action.yml): its entry script, run here as the runner would run it — inputs as
// INPUT_* variables, GITHUB_STEP_SUMMARY naming a file — around a command that hangs (the job is
// cancelled: SIGTERM) and one that finishes.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeRun, REPO_ROOT, runCommand, spawnProcess } from '../helpers/processes.js';

const ENTRY = join(REPO_ROOT, 'scripts', 'github-action.sh');
const scratch = mkdtempSync(join(tmpdir(), 'asyncgraph-action-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function summaryFile(name: string): string {
  const path = join(scratch, name);
  writeFileSync(path, '');
  return path;
}

describe('the GitHub Action entry script', () => {
  it('a hanging command, the job cancelled: the report in the job summary, an annotation, exit 124', async () => {
    const summary = summaryFile('hang.md');
    const jsonOut = join(scratch, 'hang.json');
    const step = spawnProcess('bash', [ENTRY], {
      env: {
        INPUT_COMMAND: 'node fixtures/nested.js',
        INPUT_TIMEOUT: '',
        INPUT_JSON_OUT: jsonOut,
        INPUT_ARGS: '--location-budget 10000 --kill-after 2s',
        GITHUB_STEP_SUMMARY: summary,
        GITHUB_WORKSPACE: REPO_ROOT,
      },
    });
    await step.waitForLine('ready', { timeoutMs: 30_000 });
    step.child.kill('SIGTERM');
    const code = await new Promise<number | null>((done) => step.child.once('exit', (exitCode) => done(exitCode)));
    const context = `exit ${code}\nstdout:\n${step.stdout}\nstderr:\n${step.stderr}\nsummary:\n${readFileSync(summary, 'utf8')}`;
    expect(code, context).toBe(124);
    const markdown = readFileSync(summary, 'utf8');
    expect(markdown, context).toMatch(/^## asyncgraph: `node fixtures\/nested\.js` was stopped \(SIGTERM\)$/m);
    expect(markdown, context).toContain('fixtures/nested.js:10:3');
    expect(step.stdout, context).toMatch(/^::error file=fixtures\/nested\.js,line=10,col=3,/m);
    expect(JSON.parse(readFileSync(jsonOut, 'utf8')).reason, context).toEqual({ kind: 'signal', signal: 'SIGTERM' });
  });

  it('a command that finishes: its own output and exit status, nothing in the summary', async () => {
    const summary = summaryFile('quick.md');
    const run = await runCommand('bash', [ENTRY], {
      env: { INPUT_COMMAND: 'echo hello; exit 3', INPUT_TIMEOUT: '10m', GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: REPO_ROOT },
    });
    expect(run.code, describeRun(run)).toBe(3);
    expect(run.stdout, describeRun(run)).toBe('hello\n');
    expect(readFileSync(summary, 'utf8')).toBe('');
  });

  it('inputs reach asyncgraph run: a bad timeout is its exit 2', async () => {
    const run = await runCommand('bash', [ENTRY], { env: { INPUT_COMMAND: 'true', INPUT_TIMEOUT: 'soon', GITHUB_STEP_SUMMARY: summaryFile('bad.md') } });
    expect(run.code, describeRun(run)).toBe(2);
    expect(run.stderr).toMatch(/^asyncgraph: invalid --timeout: "soon"$/m);
  });

  it('action.yml runs the entry script with the inputs as INPUT_* variables', () => {
    const action = readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8');
    expect(action).toMatch(/using: composite/);
    expect(action).toContain('"$GITHUB_ACTION_PATH/scripts/github-action.sh"');
    for (const input of ['command', 'timeout', 'json-out', 'args']) {
      expect(action).toContain(`INPUT_${input.toUpperCase().replace('-', '_')}: \${{ inputs.${input} }}`);
    }
  });
});
