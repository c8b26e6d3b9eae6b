// What an AWS region name looks like, checked by its form, not against a list: a list would refuse the next
// region AWS opens (and the lab, which answers for any region). Every region is AREA[-QUALIFIER]-DIRECTION-N:
// ap-northeast-1, us-gov-west-1, us-isob-east-1, cn-northwest-1, eusc-de-east-1, il-central-1. The direction
// is one of nine compass words, which is what catches a typo such as us-eest-1 (and lets us suggest us-east-1).

const DIRECTIONS = ['north', 'south', 'east', 'west', 'central', 'northeast', 'northwest', 'southeast', 'southwest'] as const;

/** AREA (2–4 letters), an optional qualifier (gov, iso, isob, …, or a 2-letter country), DIRECTION, a number. */
export const REGION_RE = new RegExp(`^[a-z]{2,4}(-(gov|iso[a-z]?|[a-z]{2}))?-(${DIRECTIONS.join('|')})-[1-9][0-9]?$`);

export function isRegion(s: string): boolean {
  return REGION_RE.test(s);
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** A well-formed region close to `s` (one mistyped compass word or case), if there is one. */
function suggestion(s: string): string | undefined {
  const parts = s.trim().toLowerCase().replace(/_/g, '-').split('-');
  if (parts.length < 3) return undefined;
  const last = parts.length - 1;
  for (let k = 1; k < last; k++) {
    const word = parts[k]!;
    const best = DIRECTIONS.map((d) => ({ d, n: distance(word, d) })).sort((x, y) => x.n - y.n)[0]!;
    if (best.n > 2) continue;
    const guess = [...parts.slice(0, k), best.d, ...parts.slice(k + 1)].join('-');
    if (isRegion(guess)) return guess;
  }
  const plain = parts.join('-');
  return isRegion(plain) ? plain : undefined;
}

/** Undefined when `s` is a well-formed region; otherwise the sentence that says why not (it starts with `s`). */
export function regionProblem(s: string): string | undefined {
  if (isRegion(s)) return undefined;
  const what = `${JSON.stringify(s)} is not an AWS region name`;
  const guess = suggestion(s);
  if (guess) return `${what} (did you mean ${guess}?)`;
  // Shaped like one (AREA-…-N): say which part is wrong.
  const parts = s.split('-');
  if (parts.length >= 3 && /^\d+$/.test(parts[parts.length - 1]!) && /^[a-z]{2,4}$/.test(parts[0]!)) {
    const word = parts[parts.length - 2]!;
    if (!(DIRECTIONS as readonly string[]).includes(word)) {
      return `${what}: "${word}" is not a direction (${DIRECTIONS.join(', ')}), as in ap-northeast-1 or us-gov-west-1`;
    }
  }
  return `${what} (such as ap-northeast-1)`;
}
