import { readFileSync } from "node:fs";
import path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { describe, expect, it } from "vitest";
import { loadCatalog } from "../../src/planner/catalog";
import { SCHEMA_FILES } from "../../src/planner/json-schema";
import { ENVIRONMENT_TIERS } from "../../src/planner/spec";
import { APP_RUNNER_ENDPOINT_REGIONS, isAppRunnerSize, isEcsExpressSize } from "../support/aws";
import { briefRequest, failed, planned, plannedResult } from "../support/requests";

/** A Node.js API with PostgreSQL on AWS; `overrides` on top. */
const awsApi = (overrides: Record<string, unknown> = {}) =>
  briefRequest({ deployment_type: "api", tech_stack: ["Express", "PostgreSQL"], target: "aws", environment: { ENV: "production", REGION: "us-east-1" }, rollout: "all_at_once", ...overrides });
const appRunner = (overrides: Record<string, unknown> = {}) => awsApi({ target_settings: { aws_container_service: "app_runner" }, ...overrides });
const inRegion = (region: string, tier = "production") => ({ environment: { ENV: tier, REGION: region } });
const awsRegions = () => Object.entries(loadCatalog().targets.aws.regions).filter(([key]) => key !== "default").map(([, code]) => code);

describe("plan: the AWS container service", () => {
  it("runs a node or container app on ECS Express Mode by default, saying why, and leaves the setting out of the spec", () => {
    const spec = planned(awsApi());
    expect(spec.decisions.find((d) => d.topic === "container_service")).toEqual({ topic: "container_service", choice: "ecs_express", reason: expect.stringContaining("App Runner is closed to new customers from 30 April 2026") });
    expect(spec.target_settings).toEqual({ gcp_project: null, vercel_team: null, docker_host: null });
    expect(planned(awsApi({ tech_stack: ["FastAPI"] })).decisions.map((d) => d.topic)).toContain("container_service");
  });

  it("runs App Runner only when the request chooses it, and records the choice in the spec", () => {
    const spec = planned(appRunner());
    expect(spec.target_settings.aws_container_service).toBe("app_runner");
    expect(spec.decisions.find((d) => d.topic === "container_service")).toMatchObject({ choice: "app_runner", reason: expect.stringMatching(/^requested in target_settings\.aws_container_service; .*already use it/) });
  });

  it("warns that App Runner's VPC connector takes the app's internet access unless the VPC has a NAT gateway", () => {
    expect(plannedResult(appRunner()).warnings.join("\n")).toMatch(/VPC connector.*NAT gateway/);
    expect(plannedResult(appRunner({ tech_stack: ["Express"] })).warnings.join("\n")).not.toMatch(/VPC connector/);
  });

  it("decides nothing about containers for a static site on AWS or an app on another target", () => {
    expect(planned(awsApi({ deployment_type: "static_site", tech_stack: ["HTML"] })).decisions.map((d) => d.topic)).not.toContain("container_service");
    const railway = planned(awsApi({ target: "railway", target_settings: { aws_container_service: "app_runner" } }));
    expect(railway.decisions.map((d) => d.topic)).not.toEqual(expect.arrayContaining(["container_service", "compute_size"]));
    expect(railway.resources).toMatchObject({ cpu: 1, memory_mb: 1024 });
  });

  it("rejects an unknown service at stage validation, in the zod schema and the published JSON Schema alike", () => {
    const request = awsApi({ target_settings: { aws_container_service: "fargate" } });
    expect(failed(request)).toMatchObject({ stage: "validation", reason: expect.stringMatching(/^target_settings\.aws_container_service: expected one of \[ecs_express, app_runner\]/) });
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync(path.join(__dirname, "..", "..", SCHEMA_FILES.request), "utf8")));
    expect(validate(request)).toBe(false);
    expect(validate(appRunner())).toBe(true);
  });
});

describe("plan: AWS container services' Regions", () => {
  const withoutAppRunner = awsRegions().filter((region) => !APP_RUNNER_ENDPOINT_REGIONS.includes(region));

  it("knows the five catalog Regions without an App Runner endpoint", () => {
    expect(withoutAppRunner.sort()).toEqual(["ap-northeast-2", "ca-central-1", "eu-north-1", "sa-east-1", "us-west-1"]);
  });

  it.each(withoutAppRunner)("refuses App Runner in %s at stage plan, naming ECS Express Mode and App Runner's Regions", (region) => {
    const result = failed(appRunner(inRegion(region)));
    expect(result).toMatchObject({ stage: "plan", reason: `target_settings.aws_container_service: App Runner does not run in ${region}` });
    expect(result.fix_suggestion).toContain("target_settings.aws_container_service: ecs_express");
    for (const other of APP_RUNNER_ENDPOINT_REGIONS) expect(result.fix_suggestion).toContain(other);
  });

  it.each(APP_RUNNER_ENDPOINT_REGIONS)("plans App Runner in %s", (region) => {
    expect(planned(appRunner(inRegion(region))).region).toBe(region);
  });

  it.each(awsRegions())("plans ECS Express Mode in %s", (region) => {
    expect(planned(awsApi(inRegion(region))).decisions.find((d) => d.topic === "container_service")?.choice).toBe("ecs_express");
  });
});

describe("plan: AWS container sizes, checked against the vendors' tables", () => {
  const sizeOf = (request: Record<string, unknown>) => {
    const { cpu, memory_mb } = planned(request).resources;
    return [String(cpu * 1024), String(memory_mb)] as const;
  };

  it.each(ENVIRONMENT_TIERS)("rounds the %s tier's default onto a size each service accepts", (tier) => {
    expect(isEcsExpressSize(...sizeOf(awsApi(inRegion("us-east-1", tier))))).toBe(true);
    expect(isAppRunnerSize(...sizeOf(appRunner(inRegion("us-east-1", tier))))).toBe(true);
  });

  it("takes the smallest accepted size holding what was asked, and says so", () => {
    const staging = planned(awsApi(inRegion("us-east-1", "staging")));
    expect(staging.resources).toMatchObject({ cpu: 0.5, memory_mb: 1024 });
    expect(staging.decisions.find((d) => d.topic === "compute_size")).toEqual({
      topic: "compute_size",
      choice: "0.5 vCPU, 1024 MiB",
      reason: "ECS Express Mode has no size of 0.5 vCPU with 512 MiB; this is the smallest it runs with at least as much of both",
    });
    expect(planned(awsApi({ resources: { cpu: 0.25, memory_mb: 3000 } })).resources).toMatchObject({ cpu: 0.5, memory_mb: 3072 });
    expect(planned(appRunner({ resources: { cpu: 2, memory_mb: 8192 } })).resources).toMatchObject({ cpu: 4, memory_mb: 8192 });
    expect(planned(awsApi({ resources: { cpu: 1, memory_mb: 2048 } })).decisions.map((d) => d.topic)).not.toContain("compute_size");
  });

  it("refuses a size beyond the service's largest at stage plan, listing the sizes it runs", () => {
    const ecs = failed(awsApi({ resources: { cpu: 8, memory_mb: 16384 } }));
    expect(ecs).toMatchObject({ stage: "plan", reason: "resources: ECS Express Mode has no size with 8 vCPU and 16384 MiB (its largest is 4 vCPU with 8192 MiB)" });
    expect(ecs.fix_suggestion).toContain("0.25 vCPU: 512, 1024, 2048 MiB");
    const runner = failed(appRunner({ resources: { cpu: 1, memory_mb: 16384 } }));
    expect(runner.reason).toBe("resources: App Runner has no size with 1 vCPU and 16384 MiB (its largest is 4 vCPU with 12288 MiB)");
    expect(runner.fix_suggestion).toContain("4 vCPU: 8192, 10240, 12288 MiB");
  });
});
