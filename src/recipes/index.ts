// The demonstrations as library calls, by name: `alignkit demo [name]` runs one of these.
import type { Recipe } from './recipe.js';
import { restEmRecipe } from './rest-em.js';
import { restRecipe } from './rest.js';
import { rlhfRecipe } from './rlhf.js';
import { serRecipe } from './ser.js';

export { defineRecipe, recipeOptions, recipeRunDir, type Recipe, type RecipeHooks } from './recipe.js';
export { defaultRestEmDemo, formatRestEmTable, runRestEmDemo, tinyRestEmDemo, type RestEmDemoConfig, type RestEmDemoResult } from './rest-em.js';
export { defaultRestDemo, formatRestDemo, runRestDemo, tinyRestDemo, type RestDemoConfig, type RestDemoResult } from './rest.js';
export { defaultRlhfDemo, formatRlhfReport, runRlhfDemo, tinyRlhfDemo, type RlhfDemoConfig, type RlhfDemoResult } from './rlhf.js';
export { defaultSerDemo, formatSerReport, runSerDemo, tinySerDemo, trueLabelSample, type SerDemoConfig, type SerDemoResult } from './ser.js';
export {
  defaultSerArithmeticDemo, formatSerArithmeticReport, runSerArithmeticDemo, tinySerArithmeticDemo, type SerArithmeticDemoConfig, type SerArithmeticDemoResult,
} from './ser/arithmetic.js';
export {
  buildArithmeticPreferenceSetup, defaultArithmeticPreferenceSetup, judgeSolution, type ArithmeticPreferenceConfig, type ArithmeticPreferenceSetup,
} from './arithmetic-preference-setup.js';
export { buildPreferenceSetup, defaultPreferenceSetup, type PreferenceSetup, type PreferenceSetupConfig } from './preference-setup.js';

/** Every recipe; the first is what `alignkit demo` runs with no name. */
export const recipes: readonly Recipe<any, any>[] = [restEmRecipe, restRecipe, rlhfRecipe, serRecipe]; // eslint-disable-line @typescript-eslint/no-explicit-any

export function findRecipe(name: string): Recipe<any, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = recipes.find((x) => x.name === name);
  if (!r) throw new Error(`unknown demo "${name}"; the demos are ${recipes.map((x) => x.name).join(', ')}`);
  return r;
}
