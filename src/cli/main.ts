import { Command, CommanderError } from 'commander';
import { registerDecodeCommand } from './decode.ts';
import { registerEvidenceCommands } from './evidence.ts';
import { registerFwCommands } from './fw.ts';
import { registerKeysCommands } from './keys.ts';
import { registerRunCommands } from './run.ts';

export function buildProgram(): Command {
  const program = new Command('hanlab')
    .description('Hardware-in-the-loop test harness and device simulator for GB smart metering (SMETS2)')
    .version('0.1.0')
    .showHelpAfterError();
  registerRunCommands(program);
  registerDecodeCommand(program);
  registerKeysCommands(program);
  registerFwCommands(program);
  registerEvidenceCommands(program);
  return program;
}

/** Runs the CLI; returns the exit code rather than exiting, so nothing recorded is cut off. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    process.stderr.write(`hanlab: ${(e as Error).message}\n`);
    return 2;
  }
}
