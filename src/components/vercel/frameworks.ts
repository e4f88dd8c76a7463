import type { BuildSpec } from "../../planner/spec";

/**
 * Vercel's framework preset for every catalog technology that can be the main framework of a Vercel stack (a front end,
 * back end or runtime that runs as `static` or `node`, the kinds the Vercel target hosts), or null for "Other" (no
 * preset). The provider checks `framework` against Vercel's own list (published as the `@vercel/frameworks` package;
 * `test/components/vercel-vendor-rules.test.ts` checks every slug against it and that no hosted catalog id is missing).
 *
 * The slug follows how the catalog builds the technology, not just its name:
 * - `nuxt` is `nuxtjs` on Vercel.
 * - `sveltekit` is `sveltekit-1`: Vercel's `sveltekit` preset is the legacy one for `@sveltejs/kit` 1.0.0-next.x.
 * - `react` and `vue` are single-page apps bundled by Vite into `dist` in the catalog, so `vite`. Vercel's
 *   `create-react-app` preset builds react-scripts into `build`, and its `vue` preset is the Vue CLI
 *   (`vue-cli-service`), neither of which the catalog builds.
 * - `html` is plain files with no build: no preset ("Other"), which serves `public` if present, else the root.
 * - `nodejs` is Vercel's generic `node` preset; `express`, `fastify` and `nestjs` have their own presets. Vercel runs
 *   none of them with the catalog's start command: it bundles the app's entry file (`server.js`, `index.js`, `app.js`,
 *   `src/…`; see each preset's detectors) into one function, which either exports the app or listens on a port.
 */
export const VERCEL_FRAMEWORKS: Readonly<Record<string, string | null>> = {
  nextjs: "nextjs",
  nuxt: "nuxtjs",
  sveltekit: "sveltekit-1",
  remix: "remix",
  astro: "astro",
  gatsby: "gatsby",
  react: "vite",
  vue: "vite",
  angular: "angular",
  html: null,
  nodejs: "node",
  express: "express",
  fastify: "fastify",
  nestjs: "nestjs",
};

/**
 * The Vercel framework slug for a spec's build, or null for "Other". A build with no catalog framework is a plain
 * Node.js server when it runs as `node` (Vercel's `node` preset), else plain files. Throws for a catalog id with no
 * mapping rather than sending Vercel a slug it rejects.
 */
export function vercelFramework(build: Pick<BuildSpec, "framework" | "kind">): string | null {
  if (build.framework === null) return build.kind === "node" ? "node" : null;
  if (!Object.hasOwn(VERCEL_FRAMEWORKS, build.framework)) {
    throw new Error(`the Vercel target has no framework preset for the catalog's '${build.framework}'; add it to VERCEL_FRAMEWORKS`);
  }
  return VERCEL_FRAMEWORKS[build.framework] ?? null;
}
