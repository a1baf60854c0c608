// Preloaded into a benchmark server (`node --import ./count-async-resources.mjs server.mjs`) by
// bench/async-resources.ts: counts the async resources created (promises, ticks, timers, …) by
// type. SIGUSR2 prints the counts since the last SIGUSR2 as one JSON line on stderr and resets them.
import { createHook } from 'node:async_hooks';

const counts = {};
createHook({
  init(_id, type) {
    counts[type] = (counts[type] ?? 0) + 1;
  },
}).enable();
process.on('SIGUSR2', () => {
  process.stderr.write(`async-resources ${JSON.stringify(counts)}\n`);
  for (const type of Object.keys(counts)) delete counts[type];
});
