import { describe, expect, it } from "vitest";
import { checkTargetPackages, TARGET_PACKAGES } from "../../src/automation/workspace/target-packages";
import { TARGETS } from "../../src/planner/spec";

/** A resolver that finds every package except the named ones. */
function resolverWithout(...absent: string[]) {
  return (specifier: string) => {
    if (absent.some((name) => specifier.startsWith(`${name}/`))) throw Object.assign(new Error(`Cannot find module '${specifier}'`), { code: "MODULE_NOT_FOUND" });
    return `/fake/node_modules/${specifier}`;
  };
}

describe("provider SDK check", () => {
  it("passes for every target whose SDKs are installed here", () => {
    for (const target of TARGETS) expect(checkTargetPackages(target)).toBeNull();
  });

  it("needs no SDK for the local, Netlify and Railway targets", () => {
    for (const target of ["local", "netlify", "railway"] as const) {
      expect(TARGET_PACKAGES[target]).toEqual([]);
      expect(checkTargetPackages(target, resolverWithout("@pulumi/aws", "@pulumi/gcp"))).toBeNull();
    }
  });

  it("reports a missing AWS SDK at env_setup with the install command and the supported range", () => {
    const result = checkTargetPackages("aws", resolverWithout("@pulumi/aws"));
    expect(result).toMatchObject({ status: "error", stage: "env_setup", reason: "Missing provider SDK for aws: @pulumi/aws is not installed" });
    expect(result?.fix_suggestion).toBe('Install it beside deployment-planner: npm install @pulumi/aws@"^7.48.0"');
  });

  it("lists every missing SDK of a target at once", () => {
    const result = checkTargetPackages("gcp", resolverWithout("@pulumi/gcp", "@pulumi/random"));
    expect(result?.problems).toEqual(["@pulumi/gcp is not installed", "@pulumi/random is not installed"]);
    expect(result?.fix_suggestion).toContain('@pulumi/gcp@"^9.37.0" @pulumi/random@"^4.21.2"');
  });
});
