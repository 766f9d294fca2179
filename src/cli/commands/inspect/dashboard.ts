// `alignkit dashboard [RUNS_DIR]`: the run dashboard in a browser (issue 21), served until Ctrl-C.
import { existsSync, statSync } from 'node:fs';
import { declareConfig, int, optionalText, text } from '../../../config/index.js';
import { isLoopback, startDashboard } from '../../../dashboard/server.js';
import { defineCommand } from '../../command.js';
import { UsageError } from '../../flags.js';
import { withPositionals } from '../../positional.js';

export const dashboardCommand = withPositionals(defineCommand({
  name: 'dashboard',
  summary: 'a local, read-only web page over a runs directory: status, curves, Grow data, reward-hacking signals, SER, evals',
  options: declareConfig('dashboard', {
    dir: text('runs', 'the runs directory (also the first argument); runs are found up to 3 levels down'),
    port: int(8321, 'port to listen on (0: any free port)', { min: 0, max: 65535 }),
    host: text('127.0.0.1', 'address to bind: loopback by default; any other address requires a token'),
    token: optionalText('the token requests must carry (?token=); made up when --host is not loopback and none is given'),
  }),
  examples: ['alignkit dashboard', 'alignkit dashboard runs/ --port 9000', 'alignkit dashboard runs/ --host 0.0.0.0   # prints a URL with its token'],
  async run({ dir, port, host, token }) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`dashboard ${dir}: no such directory`);
    const d = await startDashboard({ root: dir, host, port, token });
    console.log(`alignkit dashboard: ${dir} at ${d.url}${isLoopback(host) ? '' : ' (not loopback: every request needs the token in this URL)'}`);
    console.log('read-only; Ctrl-C stops it');
    await new Promise<void>((ok) => {
      const stop = () => { void d.close().then(ok); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
}), ['dir']);
