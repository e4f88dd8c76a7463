import { describe, expect, it } from "vitest";
import { NAME_RULES, gcpLabels, physicalName } from "../../src/components/naming";
import { checkTargetCredentials, describeCredentials } from "../../src/automation/index";

describe("physical names", () => {
  it("lower-cases and joins the parts with the provider's separator", () => {
    expect(physicalName(["PF_789", "production"], NAME_RULES.vercelProject)).toBe("pf-789-production");
  });

  it("starts with a letter where the provider requires one", () => {
    expect(physicalName(["789", "prod"], NAME_RULES.s3Bucket)).toBe("p-789-prod");
  });

  it("shortens a long name with a hash so that two long names never collide", () => {
    const a = physicalName(["a".repeat(50), "production", "postgresql"], NAME_RULES.awsResource);
    const b = physicalName(["a".repeat(50), "production", "redis"], NAME_RULES.awsResource);
    expect(a.length).toBeLessThanOrEqual(40);
    expect(b.length).toBeLessThanOrEqual(40);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[a-z][a-z0-9-]*[a-z0-9]$/);
  });

  it("keeps GCP labels to lower-case letters, digits, '-' and '_'", () => {
    expect(gcpLabels({ project_id: "PF.789", environment: "preview-pr-42", stack: "PF.789.preview-pr-42" })).toEqual({
      "dp-project": "pf_789",
      "dp-environment": "preview-pr-42",
      "dp-stack": "pf_789_preview-pr-42",
    });
  });
});

describe("target credentials", () => {
  it("names the missing Vercel token as the brief's error object with stage env_setup", () => {
    expect(checkTargetCredentials("vercel", {})).toMatchObject({
      status: "error",
      stage: "env_setup",
      reason: "Missing credentials for vercel: VERCEL_API_TOKEN",
    });
  });

  it("accepts AWS key pairs and profiles, and needs nothing for the local target", () => {
    expect(checkTargetCredentials("aws", { AWS_ACCESS_KEY_ID: "id", AWS_SECRET_ACCESS_KEY: "key" })).toBeNull();
    expect(checkTargetCredentials("aws", { AWS_PROFILE: "deploy" })).toBeNull();
    expect(checkTargetCredentials("aws", { AWS_ACCESS_KEY_ID: "id" })?.stage).toBe("env_setup");
    expect(checkTargetCredentials("local", {})).toBeNull();
  });

  it("reports every target's credentials by name only, never their values", () => {
    const report = describeCredentials({ NETLIFY_AUTH_TOKEN: "nfp_value_never_shown", RAILWAY_TOKEN: "" });
    expect(report.find((r) => r.target === "netlify")).toEqual({ target: "netlify", ready: true, credentials: [{ name: "NETLIFY_AUTH_TOKEN", present: true }] });
    expect(report.find((r) => r.target === "railway")?.ready).toBe(false);
    expect(JSON.stringify(report)).not.toContain("nfp_value_never_shown");
  });
});
