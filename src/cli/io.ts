import type { Command } from 'commander';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** Output goes through the root program's configureOutput, so tests (and the main CLI) choose where it lands. */
export function ioFor(command: Command): Io {
  let root = command;
  while (root.parent) root = root.parent;
  const config = root.configureOutput();
  return {
    out: (text) => (config.writeOut ?? ((s: string) => process.stdout.write(s)))(text),
    err: (text) => (config.writeErr ?? ((s: string) => process.stderr.write(s)))(text),
  };
}
