// The table of subcommands. A command parses its own arguments and returns an exit code.

export interface Command {
  name: string;
  summary: string;
  run(args: string[]): Promise<number>;
}

export const commands: Command[] = [];
