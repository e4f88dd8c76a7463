import type { JSX } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, ApiFailure, type FailureBody } from "../api";
import { EmptyState } from "../components/EmptyState";
import { FailureBox } from "../components/FailureBox";
import { failureOf, type DeploymentListItem, type DeploymentRecord, type PlanAnswer, type PreviewAnswer, type StackListItem } from "../components/flow-types";
import { PlanSummary, PreviewSummary } from "../components/PlanSummary";
import { RequestEditor, type RequestCheck } from "../components/RequestEditor";
import { groupProblems, parseRequestText, requestText, withDestination, type FieldProblems } from "../components/request-text";
import { Spinner } from "../components/Spinner";
import { navigate, type ScreenProps } from "../router";
import { can, useSession } from "../session";

/** How long typing must pause before the request is checked. */
const CHECK_DELAY_MS = 400;

/** The environment tiers a request may name, in promotion order. */
const ENVIRONMENTS = ["development", "preview", "staging", "production"] as const;

type Busy = "idle" | "loading-last" | "previewing" | "deploying";

/** A refusal's problems by field: the API's own `fields` where it sends them, else read from each problem's text. */
function problemsByField(failure: FailureBody): FieldProblems[] {
  const fields = failure.fields;
  if (Array.isArray(fields) && fields.length > 0) {
    const named = fields.filter((entry): entry is { path: string; message: string } => typeof entry?.path === "string" && typeof entry?.message === "string");
    const groups = new Map<string, string[]>();
    for (const entry of named) groups.set(entry.path, [...(groups.get(entry.path) ?? []), entry.message]);
    if (groups.size > 0) return [...groups].map(([field, messages]) => ({ field, messages }));
  }
  return groupProblems(failure.problems && failure.problems.length > 0 ? failure.problems : [failure.reason]);
}

/**
 * A new deployment (`/new`): pick the project and environment, write or paste a request (YAML or JSON) or start from
 * the project's last one; the planner checks it as the person types (field messages beside the editor, the plan's
 * explanation when it plans), "Preview" shows the engine's changes, "Deploy" queues it and opens its progress.
 */
export function NewDeploymentScreen({ query }: ScreenProps): JSX.Element {
  const session = useSession();
  const [projects, setProjects] = useState<readonly string[] | null>(null);
  const [projectsFailure, setProjectsFailure] = useState<FailureBody | null>(null);
  const [project, setProject] = useState(query.get("project") ?? "");
  const [environment, setEnvironment] = useState(ENVIRONMENTS.includes(query.get("environment") as never) ? (query.get("environment") as string) : "development");
  const [text, setText] = useState("");
  const [check, setCheck] = useState<RequestCheck>({ kind: "empty" });
  const [plan, setPlan] = useState<PlanAnswer | null>(null);
  const [preview, setPreview] = useState<PreviewAnswer | null>(null);
  const [actionFailure, setActionFailure] = useState<{ readonly title: string; readonly failure: FailureBody } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<Busy>("idle");
  const checkNumber = useRef(0);

  useEffect(() => {
    let cancelled = false;
    api<{ stacks?: StackListItem[] }>("GET", "/v1/stacks")
      .then((answer) => {
        if (cancelled) return;
        const fromStacks = (answer.stacks ?? []).map((stack) => stack.project_id);
        const granted = (session?.principal.projects ?? []).filter((id) => id !== "*");
        const all = [...new Set([...granted, ...fromStacks])].sort();
        setProjects(all);
        setProject((current) => current || (all[0] ?? ""));
      })
      .catch((error: unknown) => {
        if (cancelled) return;
        setProjectsFailure(failureOf(error));
        setProjects([]);
      });
    return () => {
      cancelled = true;
    };
  }, []);

  // The request as it would be sent, or why it cannot be: recomputed on every keystroke, checked after a pause.
  const parsed = useMemo(() => parseRequestText(text), [text]);
  const body = parsed.ok ? withDestination(parsed.request, project, environment) : null;

  useEffect(() => {
    setPreview(null);
    setActionFailure(null);
    if (!parsed.ok) {
      setPlan(null);
      setCheck(text.trim() === "" ? { kind: "empty" } : { kind: "invalid", fields: [{ field: "request", messages: [parsed.reason] }] });
      return;
    }
    setCheck({ kind: "checking" });
    const number = ++checkNumber.current;
    const timer = setTimeout(() => {
      api<PlanAnswer>("POST", "/v1/plan", body)
        .then((answer) => {
          // Only the answer to the latest text counts: an older one arriving late is dropped.
          if (number !== checkNumber.current) return;
          setPlan(answer);
          setCheck({ kind: "valid", sentence: answer.status === "redeploy" ? "The request is valid: it redeploys an earlier version." : `The request is valid: it plans ${answer.spec.stack} on ${answer.spec.target}.` });
        })
        .catch((error: unknown) => {
          if (number !== checkNumber.current) return;
          setPlan(null);
          const failure = failureOf(error);
          if (error instanceof ApiFailure && error.status >= 400 && error.status < 500 && error.status !== 401 && error.status !== 429) {
            setCheck({ kind: "invalid", fields: problemsByField(failure), fix: failure.fix_suggestion });
          } else {
            setCheck({ kind: "unchecked", sentence: `The request could not be checked: ${failure.reason}. ${failure.fix_suggestion ?? ""}` });
          }
        });
    }, CHECK_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, project, environment]);

  const mayDeploy = can(session, "deploy", body && typeof body.project_id === "string" ? body.project_id : project || null);

  const startFromLast = async (): Promise<void> => {
    if (!project) return;
    setBusy("loading-last");
    setNotice(null);
    setActionFailure(null);
    try {
      const answer = await api<{ deployments?: DeploymentListItem[] } | DeploymentListItem[]>("GET", `/v1/deployments?project_id=${encodeURIComponent(project)}&limit=20`);
      const list = Array.isArray(answer) ? answer : (answer.deployments ?? []);
      const last = list.find((item) => (item.operation ?? "deploy") === "deploy");
      if (!last) {
        setNotice(`${project} has no deployment request yet: write one below.`);
        return;
      }
      const record = await api<DeploymentRecord>("GET", `/v1/deployments/${encodeURIComponent(last.id)}`);
      const request = record.request;
      if (typeof request !== "object" || request === null || Array.isArray(request)) {
        setNotice("The last deployment's request is not available from the service; write the request below.");
        return;
      }
      setText(requestText(request));
      const named = (request.environment as { ENV?: unknown } | undefined)?.ENV;
      if (typeof named === "string" && ENVIRONMENTS.includes(named as never)) setEnvironment(named);
      setNotice(`Loaded the request of ${project}'s last deployment (${record.stack}).`);
    } catch (error) {
      setActionFailure({ title: "The last request could not be loaded", failure: failureOf(error) });
    } finally {
      setBusy("idle");
    }
  };

  const runPreview = async (): Promise<void> => {
    if (!body) return;
    setBusy("previewing");
    setActionFailure(null);
    setPreview(null);
    try {
      setPreview(await api<PreviewAnswer>("POST", "/v1/preview", body));
    } catch (error) {
      setActionFailure({ title: "The preview failed", failure: failureOf(error) });
    } finally {
      setBusy("idle");
    }
  };

  const deploy = async (): Promise<void> => {
    if (!body) return;
    setBusy("deploying");
    setActionFailure(null);
    try {
      const record = await api<DeploymentRecord>("POST", "/v1/deployments", body);
      navigate(`/deployments/${encodeURIComponent(record.id)}`);
    } catch (error) {
      setActionFailure({ title: "The deployment was not started", failure: failureOf(error) });
      setBusy("idle");
    }
  };

  const onSubmit = (event: Event): void => {
    // Enter in a select must not deploy: deploying is only ever the Deploy button.
    event.preventDefault();
  };

  if (projects === null) {
    return (
      <>
        <h1>New deployment</h1>
        <Spinner label="Reading your projects…" />
      </>
    );
  }
  const valid = check.kind === "valid" && plan !== null;
  return (
    <>
      <h1>New deployment</h1>
      {projectsFailure ? <FailureBox failure={projectsFailure} title="Your projects could not be listed" /> : null}
      {!mayDeploy ? (
        <p class="flow-note">Your token may read this project but not deploy it. You can still check a request here; deploying needs a token with the deploy scope.</p>
      ) : null}
      <form class="new-deployment" onSubmit={onSubmit} noValidate>
        <div class="new-deployment-destination">
          <div class="field">
            <label for="new-project">Project</label>
            <select id="new-project" name="project" value={project} onChange={(event) => setProject((event.currentTarget as HTMLSelectElement).value)}>
              {projects.map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
              <option value="">As the request names it</option>
            </select>
          </div>
          <div class="field">
            <label for="new-environment">Environment</label>
            <select id="new-environment" name="environment" value={environment} onChange={(event) => setEnvironment((event.currentTarget as HTMLSelectElement).value)}>
              {ENVIRONMENTS.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </div>
          <div class="field flow-field-action">
            <button type="button" class="button" disabled={!project || busy !== "idle"} onClick={() => void startFromLast()}>
              {busy === "loading-last" ? "Loading…" : "Start from the last request"}
            </button>
          </div>
        </div>
        {projects.length === 0 && !projectsFailure ? (
          <EmptyState title="Nothing is deployed yet.">
            <p>Write a request below: its project_id names the new project.</p>
          </EmptyState>
        ) : null}
        {notice ? (
          <p class="flow-note" role="status">
            {notice}
          </p>
        ) : null}
        <RequestEditor text={text} onText={setText} check={check} />
        {mayDeploy ? (
          <div class="actions">
            <button type="button" class="button" disabled={!valid || busy !== "idle"} onClick={() => void runPreview()}>
              {busy === "previewing" ? "Previewing…" : "Preview"}
            </button>
            <button type="button" class="button button-primary" disabled={!valid || busy !== "idle"} onClick={() => void deploy()}>
              {busy === "deploying" ? "Starting…" : "Deploy"}
            </button>
            {!valid ? <span class="muted">Preview and Deploy open once the request is valid.</span> : null}
          </div>
        ) : null}
      </form>
      {actionFailure ? <FailureBox failure={actionFailure.failure} title={actionFailure.title} /> : null}
      {busy === "previewing" ? <Spinner label="The engine is previewing the changes…" /> : null}
      {plan ? <PlanSummary plan={plan} /> : null}
      {preview ? <PreviewSummary preview={preview.preview ?? {}} /> : null}
    </>
  );
}
