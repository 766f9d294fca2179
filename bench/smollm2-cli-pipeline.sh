#!/usr/bin/env bash
# The CLI pipeline of issue 18's target, timed: a model with the exact shape of SmolLM2-135M (its
# real config.json, random weights) and SmolLM2's real tokenizer runs
#   sft --lora-r 16 → dpo --lora-r 16 → grpo --lora-r 16 → generate --chat
# each stage a few steps, each starting from the directory the last one wrote (a PEFT adapter
# directory). Prints one row per stage: wall seconds, steps, peak RSS, and the load average when
# it started (the figures are only comparable at similar load). Reads SmolLM2's files in place
# from shared/data/hf-models beside the repository (or $ALIGNKIT_SHARED_DATA) and
# skips, saying why, without them.
#   npx tsc -p tsconfig.json && bash bench/smollm2-cli-pipeline.sh [out-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
# ../shared/data beside the repository, or the nearest shared/data above it (a worktree one folder
# deeper finds the same files), as test/fixtures/shared-data.ts looks.
DATA="${ALIGNKIT_SHARED_DATA:-}"
if [ -z "$DATA" ]; then
  d="$(cd .. && pwd)"
  while [ "$d" != "/" ] && [ ! -d "$d/shared/data" ]; do d="$(dirname "$d")"; done
  DATA="$d/shared/data"
fi
SMOL="$DATA/hf-models/SmolLM2-135M-Instruct"
if [ ! -f "$SMOL/config.json" ] || [ ! -f "$SMOL/tokenizer.json" ]; then
  echo "smollm2-cli-pipeline: skipped: $SMOL has no config.json and tokenizer.json (SmolLM2-135M-Instruct's files)"
  exit 0
fi
OUT="${1:-$(mktemp -d "${TMPDIR:-/tmp}/alignkit-smollm2-pipeline-XXXXXX")}"
mkdir -p "$OUT"
CLI="node dist/src/cli/main.js"
M="$OUT/smollm2-135m-random"

# The model: SmolLM2-135M's config.json as it is, random weights; its tokenizer files copied.
node --input-type=module -e "
  import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
  import { join } from 'node:path';
  const { fromHfConfig, saveModelDir, Transformer } = await import('$PWD/dist/src/model/index.js');
  const [smol, dir] = ['$SMOL', '$M'];
  const raw = JSON.parse(readFileSync(join(smol, 'config.json'), 'utf8'));
  saveModelDir(dir, new Transformer(fromHfConfig(raw).config, undefined, 1));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(raw, null, 2));
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt', 'generation_config.json']) {
    if (existsSync(join(smol, f))) copyFileSync(join(smol, f), join(dir, f));
  }
  const conv = (q, a) => [{ role: 'user', content: q }, { role: 'assistant', content: a }];
  const lines = (n, f) => Array.from({ length: n }, (_, i) => JSON.stringify(f(i))).join('\n') + '\n';
  writeFileSync('$OUT/messages.jsonl', lines(16, (i) => ({ messages: conv('What colour is item ' + i + '?', i % 2 ? 'Red, like a brick.' : 'Blue, like the sea.') })));
  writeFileSync('$OUT/prefs.jsonl', lines(16, (i) => ({ prompt: [{ role: 'user', content: 'Is ' + i + ' even?' }],
    chosen: [{ role: 'assistant', content: i % 2 ? 'No, it is odd.' : 'Yes, it is even.' }], rejected: [{ role: 'assistant', content: i % 2 ? 'Yes.' : 'No.' }] })));
  writeFileSync('$OUT/prompts.jsonl', lines(8, (i) => ({ prompt: [{ role: 'user', content: 'Name an animal, number ' + i + '.' }] })));
  writeFileSync('$OUT/short.mjs', 'export function reward(prompt, completion) { return -Math.abs(completion.length - 20) / 20; }\n');
"

ROWS=()
stage() { # name steps command...
  local name="$1" steps="$2" file; shift 2
  file="$OUT/${name%% *}"
  local load; load="$(uptime | sed 's/.*load average: //')"
  local t0; t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$file.rss" "$@" > "$file.log" 2>&1 || { echo "$name failed:"; tail -n 20 "$file.log"; exit 1; }
  local secs; secs=$(echo "$(date +%s.%N) - $t0" | bc)
  ROWS+=("| \`$name\` | $steps | $(printf '%.1f' "$secs") | $(( $(tail -n 1 "$file.rss") / 1024 )) | $load |")
}
stage "sft --lora-r 16" 4 $CLI sft --model "$M" --data "$OUT/messages.jsonl" --out "$OUT/sft" --steps 4 --batch-size 2 --seq-len 64 --lr 1e-3 --lora-r 16 --quiet
stage "dpo --lora-r 16" 4 $CLI dpo --model "$OUT/sft/model" --data "$OUT/prefs.jsonl" --out "$OUT/dpo" --steps 4 --batch-size 2 --eval-fraction 0 --lr 1e-3 --lora-r 16 --quiet
stage "grpo --lora-r 16" 2 $CLI grpo --model "$OUT/dpo/model" --prompts "$OUT/prompts.jsonl" --reward-fn "$OUT/short.mjs" --out "$OUT/grpo" --steps 2 --prompts-per-step 2 --samples-per-prompt 2 --max-new-tokens 16 --lr 1e-3 --lora-r 16 --quiet
stage "generate --chat" "16 tokens" $CLI generate --model "$OUT/grpo/model" --chat --prompt "What is a whale?" --max-new-tokens 16 --temperature 0
echo "SmolLM2-135M shape (random weights, real tokenizer), $(nproc) cores; run directories in $OUT"
echo "| stage | steps | wall s | peak RSS MiB | load average at start (1, 5, 15 min) |"
echo "|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
