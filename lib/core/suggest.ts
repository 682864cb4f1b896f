// "Did you mean" support shared by the feature catalogue and the command line.

/**
 * Edit distance between two strings, counting an insertion, a deletion, a
 * substitution or a swap of two neighbouring characters as one edit
 * (optimal string alignment), so that `--dorp` is one edit from `--drop`.
 */
export function editDistance(a: string, b: string): number {
  // One flat row-major matrix: (a.length + 1) × (b.length + 1).
  const w = b.length + 1;
  const d = new Array<number>((a.length + 1) * w).fill(0);
  const at = (i: number, j: number): number => d[i * w + j] ?? 0;
  for (let i = 0; i <= a.length; i++) d[i * w] = i;
  for (let j = 0; j <= b.length; j++) d[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      d[i * w + j] = v;
    }
  }
  return at(a.length, b.length);
}

/** Up to three candidates close to `word` (a prefix of it, or a few edits away), best first. */
export function closestNames(word: string, candidates: readonly string[]): string[] {
  const limit = Math.max(1, Math.floor(word.length / 3));
  return candidates
    .map((c) => ({ c, d: c.startsWith(word) ? 1 : editDistance(word, c) }))
    .filter((x) => x.d <= limit)
    .sort((x, y) => x.d - y.d)
    .map((x) => x.c)
    .slice(0, 3);
}
