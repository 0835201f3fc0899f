// A scenario worker with a planted fault: in a scenario whose id starts with "crash", the 30th frame sent on the bus
// (well into its steps: the simulation is deterministic) kills the worker, by an error thrown outside any promise
// the runner watches, part-way through the step that sent it.
import { parentPort } from 'node:worker_threads';
import '../../bin/register-ts.mjs';

const { serveAttempts } = await import('../../src/scenario/worker-thread.ts');
const { InMemoryBus } = await import('../../src/transport/in-memory-bus.ts');

let armed = false;
let frames = 0;
const transmit = InMemoryBus.prototype.transmit;
InMemoryBus.prototype.transmit = function (...args) {
  if (armed && ++frames === 30) setImmediate(() => {
    throw new Error('planted worker fault');
  });
  return transmit.apply(this, args);
};
serveAttempts();
parentPort.on('message', (request) => {
  if (request.job.scenario.id.startsWith('crash')) armed = true;
});
