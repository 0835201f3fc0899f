// Worker entry for ScenarioWorkerPool. Plain JavaScript: a worker thread does not inherit the parent's TypeScript
// loader, so it registers it itself before loading the runner.
import '../../bin/register-ts.mjs';

const { serveAttempts } = await import('./worker-thread.ts');
serveAttempts();
