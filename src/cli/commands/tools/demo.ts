// `alignkit demo [name]`: runs a demonstration (src/recipes/) — ReST-EM on arithmetic by default,
// or `rest`, `rlhf`, `ser` — with the options that recipe declares.
import { findRecipe, recipes } from '../../../recipes/index.js';
import type { Command } from '../../commands-type.js';
import { defineCommand } from '../../command.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: `the demonstrations: ${recipes.map((r) => r.name).join(', ')} (default ${recipes[0]!.name}: ${recipes[0]!.summary})`,
  async run(argv) {
    const named = argv[0] !== undefined && !argv[0].startsWith('-');
    const recipe = named ? findRecipe(argv[0]!) : recipes[0]!;
    const others = recipes.filter((r) => r !== recipe).map((r) => `alignkit demo ${r.name} --help`);
    const command = defineCommand({
      name: `demo${named ? ` ${recipe.name}` : ''}`,
      summary: recipe.summary,
      options: recipe.options,
      examples: [...recipe.examples, ...(named ? [] : others)],
      async run(o) {
        const result = await recipe.run(o, { log: (s) => { if (!o['quiet']) console.error(`demo ${recipe.name}: ${s}`); } });
        console.log(o['json'] ? JSON.stringify(recipe.json(result)) : `\n${recipe.format(result)}`);
        return 0;
      },
    });
    return command.run(named ? argv.slice(1) : argv);
  },
};
