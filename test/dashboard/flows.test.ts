import { describe, expect, it } from "vitest";
import { furthestStage, lineKind, stageOfLine } from "../../src/dashboard/ui/components/progress-stages";
import { groupProblems, parseRequestText, requestText, withDestination } from "../../src/dashboard/ui/components/request-text";

describe("the new-deployment editor's request text", () => {
  it("reads YAML and JSON into the same request object", () => {
    const yaml = parseRequestText("project_id: shop\ntech_stack: [HTML]\nenvironment:\n  ENV: staging\n");
    const json = parseRequestText('{"project_id": "shop", "tech_stack": ["HTML"], "environment": {"ENV": "staging"}}');
    expect(yaml).toEqual({ ok: true, request: { project_id: "shop", tech_stack: ["HTML"], environment: { ENV: "staging" } } });
    expect(json).toEqual(yaml);
  });

  it("refuses an empty text, a list, a scalar and broken syntax with a sentence", () => {
    expect(parseRequestText("  \n")).toMatchObject({ ok: false, reason: expect.stringContaining("Write a deployment request") });
    expect(parseRequestText("- a\n- b\n")).toMatchObject({ ok: false, reason: expect.stringContaining("not a list") });
    expect(parseRequestText("42")).toMatchObject({ ok: false });
    expect(parseRequestText('{"project_id": "shop",')).toMatchObject({ ok: false, reason: expect.stringContaining("neither valid JSON nor YAML") });
  });

  it("refuses a document whose aliases would expand it far beyond its size", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(", ")}]`)].join("\n");
    expect(parseRequestText(bomb).ok).toBe(false);
  });

  it("deploys where the person picked, keeping the request's other environment fields", () => {
    const request = { project_id: "other", environment: { ENV: "production", REGION: "eu-west-1" }, version_name: "v2" };
    expect(withDestination(request, "shop", "staging")).toEqual({ project_id: "shop", environment: { ENV: "staging", REGION: "eu-west-1" }, version_name: "v2" });
    // "As the request names it": nothing picked, nothing overridden.
    expect(withDestination(request, "", "")).toEqual(request);
  });

  it("groups the planner's problems by the field each names, a problem without one under request", () => {
    expect(groupProblems(["build.port: expected number but got string 'x'", "tech_stack: is required", "build.port: must be at most 65535", "the request is empty"])).toEqual([
      { field: "build.port", messages: ["expected number but got string 'x'", "must be at most 65535"] },
      { field: "tech_stack", messages: ["is required"] },
      { field: "request", messages: ["the request is empty"] },
    ]);
  });

  it("shows a loaded request as JSON the editor reads back unchanged", () => {
    const request = { project_id: "shop", env: { GREETING: "<img src=x onerror=alert(1)>" } };
    expect(parseRequestText(requestText(request))).toEqual({ ok: true, request });
  });
});

describe("a deployment's progress stages", () => {
  it("places the library's progress lines in the run's stages", () => {
    expect(stageOfLine("planning")).toBe("plan");
    expect(stageOfLine("using the plan made when the deployment was accepted")).toBe("plan");
    expect(stageOfLine("pre-deployment checks for shop.development on local")).toBe("checks");
    expect(stageOfLine("unpacking the accepted bundle sha256:d9f2d9c8145e")).toBe("package");
    expect(stageOfLine("deploying shop.development to local")).toBe("deploying");
    expect(stageOfLine("+ pulumi-nodejs:dynamic/local:Release app-release create...")).toBe("deploying");
    expect(stageOfLine("+- pulumi-nodejs:dynamic/local:Release app-release replace done")).toBe("deploying");
    expect(stageOfLine("done in 3s: 4 create")).toBe("deploying");
    expect(stageOfLine("canary step 1/3: 10% of traffic; new release 3 requests, error rate 0.0%; stable 12 requests")).toBe("verify");
    expect(stageOfLine("verifying http://127.0.0.1:34261/")).toBe("verify");
    expect(stageOfLine("running the engine: the stack has no recorded update")).toBeNull();
  });

  it("never moves the bar back for a later line of an earlier stage", () => {
    expect(furthestStage([])).toBe(-1);
    expect(furthestStage(["planning", "deploying shop.development to local", "a note", "packaging ./site"])).toBe(3);
  });

  it("marks resource lines by what they do to the resource", () => {
    expect(lineKind("+ planner:local:LocalApp app create...")).toBe("create");
    expect(lineKind("~ pulumi:providers:pulumi-nodejs default update done")).toBe("update");
    expect(lineKind("-- pulumi-nodejs:dynamic/local:Release app-release delete-replaced done")).toBe("delete");
    expect(lineKind("! pulumi-nodejs:dynamic/local:Release app-release create-replacement failed")).toBe("failed");
    expect(lineKind("error: update failed")).toBe("error");
    expect(lineKind("verifying http://127.0.0.1:1/")).toBe("stage");
  });
});
