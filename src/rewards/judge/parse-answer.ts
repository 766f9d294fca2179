// How a judge's free-text answer becomes a verdict (README, "Judges"). The rules are strict on
// purpose: an answer they do not match is retried and, in the end, recorded as a failure — never
// read as some default score.
//
// score: the number on the last line of the form "Score: X" (any case, "score = X" too); without
//        such a line, the last number anywhere in the answer. It must lie in [min, max].
// pair:  the last line of the form "Winner: X", "Better: X", "Answer: X" or "Choice: X", else the
//        whole answer; X (after dropping "Completion"/"Response"/"Assistant", quotes, brackets,
//        markdown asterisks and a final full stop) must be exactly A or 1 (the first completion)
//        or B or 2 (the second).

export type Parsed<T> = { ok: true; value: T } | { ok: false; why: string };

const NUMBER = /[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/g;

export function parseScoreAnswer(answer: string, min: number, max: number): Parsed<number> {
  const lines = answer.split('\n').map((l) => l.replace(/[*_`]/g, '').trim());
  const scoreLine = lines.filter((l) => /^score\s*[:=]/i.test(l)).at(-1);
  const where = scoreLine !== undefined ? scoreLine.replace(/^score\s*[:=]/i, '') : answer;
  const nums = where.match(NUMBER);
  if (!nums) return { ok: false, why: scoreLine !== undefined ? 'a "Score:" line without a number' : 'no number in the answer' };
  // On a Score: line the first number is the score ("Score: 7/10"); elsewhere the last one.
  const x = Number(scoreLine !== undefined ? nums[0] : nums.at(-1));
  if (!Number.isFinite(x)) return { ok: false, why: `${nums.at(-1)} is not a finite number` };
  if (x < min || x > max) return { ok: false, why: `score ${x} is outside [${min}, ${max}]` };
  return { ok: true, value: x };
}

const PICK_LINE = /^(?:winner|better|answer|choice)\s*[:=]\s*(.*)$/i;

/** 0 when the first completion (A, 1) is the better, 1 when the second (B, 2) is. */
export function parsePairAnswer(answer: string): Parsed<0 | 1> {
  const lines = answer.split('\n').map((l) => l.replace(/[*_`]/g, '').trim()).filter(Boolean);
  const picked = lines.map((l) => PICK_LINE.exec(l)?.[1]).filter((x): x is string => x !== undefined).at(-1);
  const raw = picked ?? lines.join(' ');
  const x = raw.replace(/^(?:completion|response|assistant|output)\s+/i, '').replace(/["'()[\]<>]/g, '').replace(/\.$/, '').trim();
  if (x === 'A' || x === '1') return { ok: true, value: 0 };
  if (x === 'B' || x === '2') return { ok: true, value: 1 };
  return { ok: false, why: picked !== undefined ? `the pick ${JSON.stringify(picked)} is none of A, B, 1, 2` : 'no "Winner:" line, and the answer is not just A, B, 1 or 2' };
}
