// Chat templates are Jinja programs shipped in tokenizer_config.json or chat_template.jinja
// (Hugging Face transformers' apply_chat_template). @huggingface/jinja is the official JS
// interpreter of that Jinja subset, with transformers' settings (trim_blocks, lstrip_blocks,
// raise_exception). Renders equal transformers' on the real templates
// (test/golden/chat-templates.golden.test.ts).
import { Environment, Interpreter, Template } from '@huggingface/jinja';

/** A chat message; an object with more fields (reasoning_content, say) passes them to the template as they are. */
export interface ChatMessage {
  role: string;
  content: string;
}

export interface ChatTemplateOptions {
  /** End with the opening of an assistant turn, so that sampling continues as the assistant. */
  addGenerationPrompt?: boolean;
  bosToken?: string | null;
  eosToken?: string | null;
  /**
   * Further template variables, passed through as transformers passes its special_tokens_map and
   * apply_chat_template's keyword arguments: unk_token, pad_token, enable_thinking, date_string, ...
   */
  extra?: Record<string, unknown>;
}

// Parsing a template is far more expensive than rendering it, and a trainer renders thousands.
const compiled = new Map<string, Template>();

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/**
 * Python's `datetime.now().strftime(format)` in the C locale, which transformers gives templates
 * as strftime_now (Llama 3.x prints "Today Date: 26 Jul 2024"). @huggingface/jinja's own uses the
 * machine's locale for month names.
 */
export function strftime(date: Date, format: string): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const codes: Record<string, () => string> = {
    Y: () => String(date.getFullYear()), y: () => pad(date.getFullYear() % 100), m: () => pad(date.getMonth() + 1),
    d: () => pad(date.getDate()), e: () => String(date.getDate()).padStart(2, ' '), b: () => MONTHS[date.getMonth()]!.slice(0, 3),
    B: () => MONTHS[date.getMonth()]!, a: () => DAYS[date.getDay()]!.slice(0, 3), A: () => DAYS[date.getDay()]!,
    H: () => pad(date.getHours()), M: () => pad(date.getMinutes()), S: () => pad(date.getSeconds()), '%': () => '%',
  };
  return format.replace(/%(.)/g, (all, c: string) => codes[c]?.() ?? all);
}

/** Python's range(), which templates call as a global. */
function range(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new Error('range() arg 3 must not be zero');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

/**
 * Template.render's environment, built here because it declares strftime_now itself and a
 * variable cannot be declared twice: the same globals (@huggingface/jinja's setupGlobals), with
 * Python's C-locale strftime_now, then the caller's variables.
 */
function render(t: Template, items: Record<string, unknown>): string {
  const env = new Environment();
  const globals: Record<string, unknown> = {
    false: false, true: true, none: null, False: false, True: true, None: null, range,
    raise_exception: (message: unknown) => { throw new Error(String(message)); },
    strftime_now: (format: string) => strftime(new Date(), format),
  };
  for (const [k, v] of Object.entries({ ...globals, ...items })) env.set(k, v);
  return new Interpreter(env).run(t.parsed).value as string;
}

function compile(template: string): Template {
  let t = compiled.get(template);
  if (!t) {
    try {
      t = new Template(template);
    } catch (err) {
      throw new Error(`applyChatTemplate: template does not parse (${(err as Error).message}): ${preview(template)}`);
    }
    compiled.set(template, t);
  }
  return t;
}

export function applyChatTemplate(template: string, messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
  const t = compile(template);
  messages.forEach((m, i) => {
    if (typeof m?.role !== 'string' || typeof m?.content !== 'string') {
      throw new TypeError(`applyChatTemplate: messages[${i}] is ${preview(JSON.stringify(m))}; expected {role: string, content: string}`);
    }
  });
  try {
    return render(t, {
      ...opts.extra,
      messages: messages.map((m) => ({ ...m })),
      add_generation_prompt: opts.addGenerationPrompt ?? false,
      bos_token: opts.bosToken ?? '',
      eos_token: opts.eosToken ?? '',
    });
  } catch (err) {
    // raise_exception in a template is how it refuses a conversation (roles out of order, say).
    throw new Error(`applyChatTemplate: the template refused the conversation: ${(err as Error).message}`);
  }
}

function preview(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
