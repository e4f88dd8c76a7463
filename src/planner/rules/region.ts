import type { Catalog } from "../catalog";
import { closestMatches } from "../catalog";
import { REQUEST_REGIONS } from "../request";
import { TARGETS, type Target } from "../spec";
import { decided, didYouMean, validationFailure, type RuleOutcome, type TargetedIntent } from "./result";

/**
 * How a requested region name lands on a target:
 * - `none`: the request names no region; the target's default.
 * - `local`: the request names `local` (this machine); the target's default.
 * - `own`: the target's own code, kept as it is (`fra1` on Vercel).
 * - `mapped`: a generic name the target maps (`eu-west-1` -> Vercel `dub1`).
 * - `mapped_back`: another target's own code, mapped back through its generic name (GCP `europe-west1` ->
 *   `eu-west-1` -> Vercel `dub1`).
 * - `unmatched`: a known name the target has no region for; the target's default, with a warning.
 * - `ambiguous`: another target's code that stands for several generic names the target keeps apart.
 */
export type RegionMapping =
  | { readonly kind: "none" | "local" | "own" | "unmatched"; readonly code: string }
  | { readonly kind: "mapped"; readonly code: string; readonly generic: string }
  | { readonly kind: "mapped_back"; readonly code: string; readonly generic: string; readonly source: Target }
  | { readonly kind: "ambiguous"; readonly codes: readonly string[]; readonly generics: readonly string[]; readonly sources: readonly Target[] };

const GENERIC = new Set<string>(REQUEST_REGIONS);

/** The generic names whose code on `target` is `code`. */
function genericsFor(catalog: Catalog, target: Target, code: string): string[] {
  return Object.entries(catalog.targets[target].regions)
    .filter(([generic, own]) => generic !== "default" && own === code)
    .map(([generic]) => generic);
}

function ownCodes(catalog: Catalog, target: Target): string[] {
  return Object.values(catalog.targets[target].regions).filter((code): code is string => code !== undefined);
}

/** Every region name a request may use with this catalog: the generic names and every target's own codes. */
export function regionNames(catalog: Catalog): string[] {
  return [...new Set([...REQUEST_REGIONS, ...TARGETS.flatMap((t) => ownCodes(catalog, t))])];
}

/** Maps a requested region name (any case) onto a target, without deciding yet what to do when it does not fit. */
export function mapRegion(catalog: Catalog, target: Target, requested: string | undefined): RegionMapping {
  const regions = catalog.targets[target].regions;
  const fallback = regions.default!;
  if (requested === undefined) return { kind: "none", code: fallback };
  const name = requested.toLowerCase();
  if (name === "local") return { kind: "local", code: fallback };
  // The generic reading comes first; where a code is spelt like a generic name (AWS), both readings agree.
  if (GENERIC.has(name)) {
    const code = regions[name as keyof typeof regions];
    return code ? { kind: "mapped", code, generic: name } : { kind: "unmatched", code: fallback };
  }
  if (ownCodes(catalog, target).includes(name)) return { kind: "own", code: name };
  const sources = TARGETS.filter((t) => t !== target)
    .map((source) => ({ source, generics: genericsFor(catalog, source, name) }))
    .filter((s) => s.generics.length > 0);
  // A target whose code stands for one generic name says more than one that folds several into it (Railway's
  // us-west1 covers us-west-1 and us-west-2; GCP's us-west1 is us-west-2 only), so exact sources are preferred.
  const exact = sources.filter((s) => s.generics.length === 1);
  const chosen = exact.length > 0 ? exact : sources;
  const generics = [...new Set(chosen.flatMap((s) => s.generics))].filter((g) => regions[g as keyof typeof regions]);
  const codes = [...new Set(generics.map((g) => regions[g as keyof typeof regions]!))];
  if (codes.length === 0) return { kind: "unmatched", code: fallback };
  if (codes.length > 1) return { kind: "ambiguous", codes, generics, sources: chosen.map((s) => s.source) };
  const generic = generics[0]!;
  const source = chosen.find((s) => s.generics.includes(generic))!.source;
  return { kind: "mapped_back", code: codes[0]!, generic, source };
}

/**
 * `environment.REGION: ...` when no target knows the requested name (with "did you mean"), else null. Runs before the
 * target is chosen: a misspelt region is a validation error whichever target the rules pick.
 */
export function regionProblem(requested: string | undefined, catalog: Catalog): string | null {
  if (requested === undefined) return null;
  const names = regionNames(catalog);
  if (names.includes(requested.toLowerCase())) return null;
  const suggestions = closestMatches(requested, names.map((n) => [n, n] as const));
  const hint = suggestions.length > 0 ? didYouMean(suggestions) : `; expected a generic name (${REQUEST_REGIONS.join(", ")}) or a target's own code such as Vercel's fra1`;
  return `environment.REGION: unknown region '${requested}'${hint}`;
}

/** Every target's own region codes that are not generic names, by target ("Vercel: iad1, fra1, ..."), for fix suggestions. */
export function ownRegionCodes(catalog: Catalog): string {
  return TARGETS.map((t) => [catalog.targets[t].name, [...new Set(ownCodes(catalog, t))].filter((code) => !GENERIC.has(code))] as const)
    .filter(([, codes]) => codes.length > 0)
    .map(([name, codes]) => `${name}: ${codes.join(", ")}`)
    .join("; ");
}

/** The region rule: the target's own region code for what the request named, and how it was reached. */
export function chooseRegion(intent: TargetedIntent): RuleOutcome<string> {
  const { catalog, target } = intent;
  const requested = intent.request.environment.REGION;
  const entry = catalog.targets[target];
  const mapping = mapRegion(catalog, target, requested);
  const decide = (code: string, reason: string, warnings: string[] = []) => decided(code, "region", code, reason, { warnings });
  switch (mapping.kind) {
    case "none":
      return decide(mapping.code, `no REGION given; ${entry.name}'s default`);
    case "local":
      return decide(mapping.code, "local region");
    case "own":
      return decide(mapping.code, `${requested} is ${entry.name}'s own name`);
    case "mapped":
      return decide(mapping.code, `${requested} maps to ${entry.name}'s ${mapping.code}`);
    case "mapped_back":
      return decide(mapping.code, `${requested} is ${catalog.targets[mapping.source].name}'s name for ${mapping.generic}, which maps to ${entry.name}'s ${mapping.code}`);
    case "unmatched":
      return decide(mapping.code, `${entry.name} has no region matching ${requested}`, [`${entry.name} has no region matching ${requested}; using ${mapping.code}`]);
    case "ambiguous":
      return validationFailure(
        [
          `environment.REGION: '${requested}' is ${mapping.sources.map((s) => catalog.targets[s].name).join(" and ")}'s name for ${mapping.generics.join(", ")}, which ${entry.name} keeps apart as ${mapping.codes.join(", ")}`,
        ],
        `Name one of ${mapping.generics.join(", ")} (or ${entry.name}'s own ${mapping.codes.join(", ")}) instead.`,
      );
  }
}
