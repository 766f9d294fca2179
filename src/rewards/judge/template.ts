// A judge's prompt template: a text file whose {name} placeholders are filled with the texts under
// judgement and sent as the user message of a chat completion. Only a fixed set of names exists
// (README, "Judges"); anything else in braces that looks like a name is refused with its file and
// line, so a typo never sends the judge a literal "{completon}". `{{` and `}}` stand for braces.

export type JudgeMode = 'score' | 'pair';

/** What each mode may fill, and what it must have to judge anything. */
export const TEMPLATE_FIELDS: Record<JudgeMode, { allowed: readonly string[]; required: readonly string[] }> = {
  score: { allowed: ['prompt', 'completion', 'reference'], required: ['completion'] },
  pair: { allowed: ['prompt', 'completion_a', 'completion_b', 'reference'], required: ['completion_a', 'completion_b'] },
};

export interface JudgeTemplate {
  /** The file it came from (errors, run config). */
  file: string;
  text: string;
  mode: JudgeMode;
  /** The placeholders it uses, in first-use order. */
  fields: string[];
}

const PLACEHOLDER = /\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Checks a template's placeholders against its mode; errors name `file` and the line. */
export function parseJudgeTemplate(text: string, mode: JudgeMode, file: string): JudgeTemplate {
  const { allowed, required } = TEMPLATE_FIELDS[mode];
  const fields: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(PLACEHOLDER)) {
      const name = m[1];
      if (name === undefined) continue;
      if (!allowed.includes(name)) {
        const other = (Object.keys(TEMPLATE_FIELDS) as JudgeMode[]).find((k) => TEMPLATE_FIELDS[k].allowed.includes(name));
        const hint = other ? ` ({${name}} belongs to --judge-mode ${other})` : '';
        throw new Error(`${file}:${i + 1}: unknown placeholder {${name}}${hint}; --judge-mode ${mode} fills ${allowed.map((a) => `{${a}}`).join(', ')} (write {{ and }} for literal braces)`);
      }
      if (!fields.includes(name)) fields.push(name);
    }
  });
  const missing = required.filter((r) => !fields.includes(r));
  if (missing.length) throw new Error(`${file}: the template has no ${missing.map((r) => `{${r}}`).join(' or ')}; --judge-mode ${mode} needs ${required.map((r) => `{${r}}`).join(' and ')} to show the judge what it judges`);
  return { file, text, mode, fields };
}

/** The template with its placeholders filled; a field the caller lacks (no reference) is refused by name. */
export function fillJudgeTemplate(t: JudgeTemplate, values: Readonly<Record<string, string | undefined>>): string {
  return t.text.replace(PLACEHOLDER, (all, name: string | undefined) => {
    if (name === undefined) return all === '{{' ? '{' : '}';
    const v = values[name];
    if (v === undefined) throw new Error(`${t.file}: the template uses {${name}}, but this ${name === 'reference' ? 'prompt has no reference (nor answer)' : 'call gives none'}`);
    return v;
  });
}
