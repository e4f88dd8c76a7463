import { createSign } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fetchJson, type ProofClientOptions } from "../release-proof";

/** Google's OAuth token endpoint, where a service account's signed assertion or a user's refresh token is exchanged. */
const TOKEN_URL = "https://oauth2.googleapis.com/token";
/** Scope of the token: reading Cloud Run services. */
const SCOPE = "https://www.googleapis.com/auth/cloud-platform";

/** The fields of a Google credentials file the exchange reads (a service account key, or gcloud's user credentials). */
interface GoogleCredentials {
  readonly type?: string;
  readonly client_email?: string;
  readonly private_key?: string;
  readonly token_uri?: string;
  readonly client_id?: string;
  readonly client_secret?: string;
  readonly refresh_token?: string;
}

/** The credentials from `GOOGLE_CREDENTIALS` (the file's content, or its path) or `GOOGLE_APPLICATION_CREDENTIALS` (a path). */
async function readCredentials(env: NodeJS.ProcessEnv): Promise<GoogleCredentials | null> {
  const inline = env.GOOGLE_CREDENTIALS?.trim();
  const text = inline?.startsWith("{") ? inline : inline ? await readFile(inline, "utf8") : env.GOOGLE_APPLICATION_CREDENTIALS ? await readFile(env.GOOGLE_APPLICATION_CREDENTIALS, "utf8") : null;
  if (text === null) return null;
  try {
    return JSON.parse(text) as GoogleCredentials;
  } catch {
    throw new Error("the Google credentials are not JSON");
  }
}

/**
 * An OAuth access token for Google's APIs from the deploying environment, as the GCP provider finds it: an access
 * token given as `CLOUDSDK_AUTH_ACCESS_TOKEN` or `GOOGLE_OAUTH_ACCESS_TOKEN`, else one exchanged for a service account
 * key (a signed JWT assertion) or gcloud's user credentials (their refresh token).
 */
export async function googleAccessToken(env: NodeJS.ProcessEnv, options: ProofClientOptions = {}): Promise<string> {
  const given = env.CLOUDSDK_AUTH_ACCESS_TOKEN || env.GOOGLE_OAUTH_ACCESS_TOKEN;
  if (given) return given;
  const credentials = await readCredentials(env);
  if (!credentials) throw new Error("no Google credentials are set (GOOGLE_APPLICATION_CREDENTIALS, GOOGLE_CREDENTIALS or CLOUDSDK_AUTH_ACCESS_TOKEN)");
  let body: URLSearchParams;
  if (credentials.type === "service_account" && credentials.client_email && credentials.private_key) {
    const now = Math.floor(Date.now() / 1000);
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const unsigned = `${encode({ alg: "RS256", typ: "JWT" })}.${encode({ iss: credentials.client_email, scope: SCOPE, aud: credentials.token_uri ?? TOKEN_URL, iat: now, exp: now + 600 })}`;
    const signature = createSign("RSA-SHA256").update(unsigned).sign(credentials.private_key, "base64url");
    body = new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: `${unsigned}.${signature}` });
  } else if (credentials.type === "authorized_user" && credentials.refresh_token && credentials.client_id && credentials.client_secret) {
    body = new URLSearchParams({ grant_type: "refresh_token", refresh_token: credentials.refresh_token, client_id: credentials.client_id, client_secret: credentials.client_secret });
  } else {
    throw new Error(`Google credentials of type ${credentials.type ?? "unknown"} cannot be exchanged here; set CLOUDSDK_AUTH_ACCESS_TOKEN instead`);
  }
  const answer = await fetchJson<{ access_token?: string }>(
    credentials.type === "service_account" ? (credentials.token_uri ?? TOKEN_URL) : TOKEN_URL,
    { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: body.toString() },
    options,
  );
  if (!answer.access_token) throw new Error("Google's token endpoint answered without an access token");
  return answer.access_token;
}
