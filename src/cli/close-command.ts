// `asyncgraph close-inspector <pid>`: the way to close an inspector left open (asyncgraph killed,
// a late activation, a second Ctrl-C that could not close it): the warnings name this command.

import type { Command } from 'commander';
import { parsePid } from '../target/discover.js';
import { closeInspectorOf } from '../session/session-lifecycle.js';
import { withInterrupts } from './interrupt.js';
import { parseDuration } from './duration.js';

export function registerCloseInspectorCommand(program: Command): void {
  program
    .command('close-inspector')
    .description("close the inspector a Node.js process listens on (one asyncgraph says it left open), unless a debugger is connected to it")
    .argument('<pid>', 'process id of the Node.js process')
    .option('--wait-for-other <duration>', 'wait this long for an asyncgraph capturing the process to finish', '30s')
    .action(async (pidArg: string, flags: { waitForOther: string }) => {
      const pid = parsePid(pidArg);
      const waitForOtherMs = parseDuration(flags.waitForOther, '--wait-for-other', { allowZero: true });
      const done = await withInterrupts((signal) => closeInspectorOf(pid, { waitForOtherMs, signal }));
      process.stdout.write(`${done}\n`);
    });
}
