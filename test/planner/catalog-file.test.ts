import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import YAML from "yaml";
import { COMPILED_CATALOG_FILE, readCatalogData, writeCompiledCatalog } from "../../src/planner/catalog-file";

const SOURCE = path.resolve(__dirname, "..", "..", "src", "planner", "catalog.yaml");

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "catalog-file-"));
  copyFileSync(SOURCE, path.join(dir, "catalog.yaml"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const parsedSource = () => YAML.parse(readFileSync(path.join(dir, "catalog.yaml"), "utf8")) as { technologies: { id: string; name: string }[] };
const compiledPath = () => path.join(dir, COMPILED_CATALOG_FILE);

describe("the catalog's compiled JSON", () => {
  it("holds exactly the YAML's data, and is what is read while the YAML is unchanged", () => {
    writeCompiledCatalog(dir);
    expect(readCatalogData(dir)).toEqual(parsedSource());
    // A marker only the JSON holds shows which file answered.
    const compiled = JSON.parse(readFileSync(compiledPath(), "utf8"));
    compiled.data.technologies[0].name = "read from the JSON";
    writeFileSync(compiledPath(), JSON.stringify(compiled));
    expect((readCatalogData(dir) as { technologies: { name: string }[] }).technologies[0]!.name).toBe("read from the JSON");
  });

  it("is ignored once the YAML is edited: the edited YAML is parsed", () => {
    writeCompiledCatalog(dir);
    const yamlPath = path.join(dir, "catalog.yaml");
    writeFileSync(yamlPath, readFileSync(yamlPath, "utf8").replace("name: Next.js", "name: Next.js (edited)"));
    const data = readCatalogData(dir) as { technologies: { id: string; name: string }[] };
    expect(data.technologies.find((t) => t.id === "nextjs")!.name).toBe("Next.js (edited)");
  });

  it("is not needed: a missing, truncated or foreign JSON file falls back to the YAML", () => {
    expect(readCatalogData(dir)).toEqual(parsedSource());
    for (const content of ["{\"source_sha256\":", "null", "[]", JSON.stringify({ source_sha256: 42, data: {} }), JSON.stringify({ source_sha256: "0".repeat(64), data: {} })]) {
      writeFileSync(compiledPath(), content);
      expect(readCatalogData(dir), content).toEqual(parsedSource());
    }
  });

  it("is written by the package build beside the catalog it was made from (run `npm run build` first)", () => {
    const dist = path.resolve(__dirname, "..", "..", "dist", "planner");
    const compiled = JSON.parse(readFileSync(path.join(dist, COMPILED_CATALOG_FILE), "utf8"));
    const yaml = readFileSync(path.join(dist, "catalog.yaml"), "utf8");
    expect(compiled.source_sha256).toBe(createHash("sha256").update(yaml).digest("hex"));
    expect(compiled.data).toEqual(YAML.parse(yaml));
  });
});
