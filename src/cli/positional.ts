// `alignkit runs show RUN`, `alignkit dashboard [RUNS_DIR]`: a command whose first arguments are
// values, not flags. They become the flags they stand for before the declared parser sees them,
// so --help, --config and the errors stay the generated ones.
import type { Options } from '../config/index.js';
import type { DeclaredCommand } from './command.js';
import { kebab } from './flags.js';

/** `cmd` taking its leading non-flag arguments as the options `keys`, in order. */
export function withPositionals<O extends Options>(cmd: DeclaredCommand<O>, keys: readonly (keyof O & string)[]): DeclaredCommand<O> {
  const toFlags = (argv: string[]): string[] => {
    const out: string[] = [];
    let i = 0;
    for (; i < argv.length && i < keys.length && !argv[i]!.startsWith('-'); i++) out.push(`--${kebab(keys[i]!)}`, argv[i]!);
    return [...out, ...argv.slice(i)];
  };
  return { ...cmd, resolve: (argv) => cmd.resolve(toFlags(argv)), run: (argv) => cmd.run(toFlags(argv)) };
}
