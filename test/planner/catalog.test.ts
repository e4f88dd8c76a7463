import { readFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { describe, expect, it } from "vitest";
import { buildCatalog, loadCatalog } from "../../src/planner/catalog";
import { TIER_DEFAULTS } from "../../src/planner/index";

const shipped = () => YAML.parse(readFileSync(path.join(__dirname, "..", "..", "src", "planner", "catalog.yaml"), "utf8")) as Record<string, any>;

describe("catalog", () => {
  it("carries the tier defaults that TIER_DEFAULTS exports", () => {
    expect({ ...TIER_DEFAULTS }).toEqual(loadCatalog().tiers);
    expect(TIER_DEFAULTS.production).toEqual({ memory_mb: 1024, cpu: 1, min_instances: 2, max_instances: 10, ttl_hours: null, protect: true, auto_rollback: true, rollout: "canary" });
    expect(TIER_DEFAULTS.development.auto_rollback).toBe(false);
    expect(Object.keys(TIER_DEFAULTS)).toEqual(["development", "preview", "staging", "production"]);
  });

  it("rejects a tier whose minimum is above its maximum", () => {
    const data = shipped();
    data.tiers.staging.min_instances = 5;
    expect(() => buildCatalog(data)).toThrow(/min_instances is more than max_instances/);
  });

  it("rejects a catalog without a tier", () => {
    const data = shipped();
    delete data.tiers.preview;
    expect(() => buildCatalog(data)).toThrow(/preview/);
  });

  it("rejects a region map keyed by a name that is not a generic region", () => {
    const data = shipped();
    data.targets.vercel.regions["moon-1"] = "mn1";
    expect(() => buildCatalog(data)).toThrow(/moon-1|regions/);
  });

  it("rejects a region map without a default", () => {
    const data = shipped();
    delete data.targets.gcp.regions.default;
    expect(() => buildCatalog(data)).toThrow(/needs a 'default' region/);
  });
});
