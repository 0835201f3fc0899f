/** Exit statuses a shell gives a process ended by these signals. */
const SIGNAL_EXIT: Readonly<Record<'SIGINT' | 'SIGTERM', number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Ends the process on Ctrl-C or SIGTERM through process.exit rather than the signal's default, so that exit hooks
 * run: the evidence log writes the records it holds (the chain then verifies as an incomplete run).
 */
export function exitOnInterrupt(note: (message: string) => void = () => undefined): void {
  notify = note;
  if (installed) return;
  installed = true;
  for (const [signal, status] of Object.entries(SIGNAL_EXIT)) {
    process.once(signal, () => {
      notify(`${signal}: run interrupted; the evidence recorded so far is kept\n`);
      process.exit(status);
    });
  }
}

let installed = false;
let notify: (message: string) => void = () => undefined;
