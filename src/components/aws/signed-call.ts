import { createHash, createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fetchJson, type ProofClientOptions } from "../release-proof";

/** AWS credentials for one signed call. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * Credentials from the deploying environment: `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (with
 * `AWS_SESSION_TOKEN`), else the static keys of `AWS_PROFILE` (default `default`) in the shared credentials file.
 */
export async function awsCredentials(env: NodeJS.ProcessEnv): Promise<AwsCredentials> {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined };
  }
  const profile = env.AWS_PROFILE || "default";
  const file = env.AWS_SHARED_CREDENTIALS_FILE || path.join(os.homedir(), ".aws", "credentials");
  const text = await readFile(file, "utf8").catch(() => "");
  let section: string | null = null;
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) section = header[1]!.trim();
    else if (section === profile) {
      const pair = /^\s*([a-z_]+)\s*=\s*(.*?)\s*$/i.exec(line);
      if (pair) values[pair[1]!.toLowerCase()] = pair[2]!;
    }
  }
  if (values.aws_access_key_id && values.aws_secret_access_key) {
    return { accessKeyId: values.aws_access_key_id, secretAccessKey: values.aws_secret_access_key, sessionToken: values.aws_session_token };
  }
  throw new Error(`no static AWS keys are set (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or profile ${profile} in the shared credentials file)`);
}

/** One call of an AWS JSON-protocol API (App Runner, ECS). */
export interface AwsJsonCall {
  /** Signing name and endpoint prefix, e.g. `apprunner`, `ecs`. */
  readonly service: string;
  readonly region: string;
  /** `X-Amz-Target`, e.g. `AppRunner.DescribeService`. */
  readonly target: string;
  /** `application/x-amz-json-1.0` or `-1.1`. */
  readonly jsonVersion: "1.0" | "1.1";
  readonly body: unknown;
}

const sha256 = (data: string) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();

/** Sends one call signed with Signature Version 4 and returns its JSON answer; `AWS_ENDPOINT_URL` overrides the endpoint. */
export async function awsJsonCall<T>(call: AwsJsonCall, credentials: AwsCredentials, env: NodeJS.ProcessEnv, options: ProofClientOptions = {}): Promise<T> {
  const endpoint = new URL(env.AWS_ENDPOINT_URL || `https://${call.service}.${call.region}.amazonaws.com`);
  const body = JSON.stringify(call.body);
  const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    "content-type": `application/x-amz-json-${call.jsonVersion}`,
    host: endpoint.host,
    "x-amz-date": amzDate,
    "x-amz-target": call.target,
    ...(credentials.sessionToken ? { "x-amz-security-token": credentials.sessionToken } : {}),
  };
  const names = Object.keys(headers).sort();
  const canonical = ["POST", "/", "", ...names.map((name) => `${name}:${headers[name]}`), "", names.join(";"), sha256(body)].join("\n");
  const scope = `${day}/${call.region}/${call.service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), call.region), call.service), "aws4_request");
  const signature = createHmac("sha256", key).update(toSign).digest("hex");
  const authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
  const { host: _host, ...sent } = headers;
  return fetchJson<T>(new URL("/", endpoint).href, { method: "POST", headers: { ...sent, authorization }, body }, options);
}
