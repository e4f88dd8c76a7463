/** The promotion order of environments: development -> staging -> production, with previews kept apart. */

/** The main environment tiers in promotion order. */
export const PROMOTION_ORDER = ["development", "staging", "production"] as const;

/** The tier an environment name belongs to ("staging-eu" is staging), or null for a name outside the tiers. */
export function tierOf(environment: string): string | null {
  for (const tier of [...PROMOTION_ORDER, "preview"]) {
    if (environment === tier || environment.startsWith(`${tier}-`)) return tier;
  }
  return null;
}

/** Whether an environment is a preview (e.g. "preview-pr-42"): shown apart, never promoted. */
export function isPreview(environment: string): boolean {
  return tierOf(environment) === "preview";
}

/** Sorts environment names in promotion order; names outside the tiers come last, alphabetically. */
export function byPromotionOrder(a: string, b: string): number {
  const rank = (name: string): number => {
    const index = (PROMOTION_ORDER as readonly string[]).indexOf(tierOf(name) ?? "");
    return index === -1 ? PROMOTION_ORDER.length : index;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** The environment a stack's version is promoted to next (development -> staging -> production), or null. */
export function nextEnvironment(environment: string): string | null {
  const index = (PROMOTION_ORDER as readonly string[]).indexOf(tierOf(environment) ?? "");
  if (index === -1 || index === PROMOTION_ORDER.length - 1) return null;
  return PROMOTION_ORDER[index + 1] ?? null;
}
