/** Edit distance (insert, delete, substitute or swap two neighbouring characters), ignoring case. */
export function distance(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  const d = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const row = d[i]!;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[x.length]![y.length]!;
}

/** The candidate `word` is most likely a mistyping of: a third of its letters wrong at most. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const [best] = candidates.map((k) => ({ k, d: distance(word, k) })).sort((a, b) => a.d - b.d);
  return best && best.d <= Math.max(1, Math.floor(word.length / 3)) ? best.k : undefined;
}
