// Argument errors, the same for all of them: one `asyncgraph: …` line, one `  hint: …` line, exit
// 2. Commander's own messages (`error: unknown option '--x'`, with its `(Did you mean …?)`) are
// reworded into that shape; its habit of printing the whole help after an error is turned off.

import type { Command, CommanderError } from 'commander';
import { UsageError } from '../errors.js';

/** The subcommand the arguments name (the first word that is one), if any. */
function commandIn(program: Command, argv: string[]): Command | undefined {
  const names = new Set(program.commands.flatMap((command) => [command.name(), ...command.aliases()]));
  for (const arg of argv.slice(2)) {
    if (arg === '--') break;
    if (arg.startsWith('-')) continue;
    return names.has(arg) ? program.commands.find((command) => command.name() === arg || command.aliases().includes(arg)) : undefined;
  }
  return undefined;
}

/** `see "asyncgraph attach --help"` (or the program's help when no command is named). */
export function commandHelpHint(program: Command, argv: string[]): string {
  const command = commandIn(program, argv);
  return `see "asyncgraph ${command ? `${command.name()} ` : ''}--help"`;
}

/** A commander parse error as a UsageError: its message, and its suggestion as the hint. */
export function argumentError(error: CommanderError, program: Command, argv: string[]): UsageError {
  const lines = error.message
    .replace(/^error: /, '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const suggestion = lines.slice(1).join(' ').replace(/^\((.*)\)$/, '$1');
  const message = lines[0] ?? 'bad arguments';
  const help = commandHelpHint(program, argv);
  return new UsageError(message, suggestion ? `${suggestion[0].toLowerCase()}${suggestion.slice(1)} — ${help}` : help);
}

export function noCommandGiven(): UsageError {
  return new UsageError('no command given', 'asyncgraph attach <pid>, asyncgraph snapshot <pid> or asyncgraph run -- <command>; see "asyncgraph --help"');
}
