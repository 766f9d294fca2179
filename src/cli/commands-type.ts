// What a subcommand is: a name, a one-line summary for `alignkit --help`, and a runner that
// parses its own flags and returns the exit code.
export interface Command {
  name: string;
  summary: string;
  run(args: string[]): Promise<number>;
}
