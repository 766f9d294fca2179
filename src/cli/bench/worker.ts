// One contender of `alignkit bench` on alignkit's side, run in its own process so that the peak
// RSS it reports is its own: `node worker.js '<task JSON>'` prints one JSON line and exits.
import { runTask, type WorkerTask } from './tasks.js';
import { peakRssMb } from './measure.js';

const task = JSON.parse(process.argv[2] ?? '{}') as WorkerTask;
const result = await runTask(task);
const cpu = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ ...result, rss_mb: peakRssMb(), cpu_s: (cpu.user + cpu.system) / 1e6 })}\n`);
