import { Command, CommanderError } from 'commander';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs a command group the way `hanlab` does, capturing its output and exit code instead of exiting. */
export async function runCli(register: (program: Command) => void, args: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const program = new Command('hanlab')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (err += s) });
  register(program);
  process.exitCode = undefined;
  try {
    await program.parseAsync(args, { from: 'user' });
    return { code: typeof process.exitCode === 'number' ? process.exitCode : 0, out, err };
  } catch (e) {
    if (e instanceof CommanderError) return { code: e.exitCode, out, err };
    throw e;
  } finally {
    process.exitCode = undefined;
  }
}
