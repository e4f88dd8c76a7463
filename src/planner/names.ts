/** Name matching for "did you mean" messages: technologies, regions, request fields and values, CLI flags. */

/** Normalizes a technology name for matching: lower case, letters and digits only. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const saved = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = saved;
    }
  }
  return row[b.length]!;
}

/**
 * The labels of the candidates closest to `name`, best first, for "did you mean" messages. Candidates are
 * `[spelling, label]` pairs (several spellings may share a label); spellings compare ignoring case and punctuation.
 */
export function closestMatches(name: string, candidates: readonly (readonly [string, string])[], limit = 3): string[] {
  const key = normalizeName(name);
  if (key === "") return [];
  // A prefix either way is a strong hint ("fra" for "fra1", "postgres" for "postgresql"), so it scores better.
  const scored = candidates
    .map(([spelling, label]) => {
      const alias = normalizeName(spelling);
      return { label, distance: editDistance(key, alias) - (alias.startsWith(key) || key.startsWith(alias) ? 2 : 0) };
    })
    .filter((s) => s.distance <= Math.max(2, Math.floor(key.length / 3)))
    .sort((a, b) => a.distance - b.distance);
  const labels: string[] = [];
  for (const { label } of scored) if (!labels.includes(label)) labels.push(label);
  return labels.slice(0, limit);
}
