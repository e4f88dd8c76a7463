import type { JSX } from "preact";
import type { FieldProblems } from "./request-text";

/** What the editor says about the request as it stands. */
export type RequestCheck =
  | { readonly kind: "empty" }
  | { readonly kind: "checking" }
  | { readonly kind: "valid"; readonly sentence: string }
  | { readonly kind: "invalid"; readonly fields: readonly FieldProblems[]; readonly fix?: string }
  | { readonly kind: "unchecked"; readonly sentence: string };

/** Props of {@link RequestEditor}. */
export interface RequestEditorProps {
  readonly text: string;
  readonly onText: (text: string) => void;
  readonly check: RequestCheck;
}

const PLACEHOLDER = `project_id: example-site
deployment_type: static_site
tech_stack: [HTML]
target: local
environment:
  ENV: development
source: ../apps/static-site
version_name: v1`;

/**
 * The request's text (YAML or JSON) beside what the planner says about it: each field's messages in its own alert
 * list, so a person sees which field to change while typing, or a sentence that the request plans.
 */
export function RequestEditor({ text, onText, check }: RequestEditorProps): JSX.Element {
  const invalid = check.kind === "invalid";
  return (
    <div class="request-editor">
      <div class="request-editor-text">
        <label for="request-text">Request</label>
        <p id="request-hint" class="muted">
          YAML or JSON, as the deployment-planner command takes it. The Project and Environment above decide where it deploys.
        </p>
        <textarea
          id="request-text"
          name="request"
          rows={18}
          spellcheck={false}
          autocomplete="off"
          placeholder={PLACEHOLDER}
          value={text}
          aria-invalid={invalid ? "true" : "false"}
          aria-describedby="request-hint request-check"
          onInput={(event) => onText((event.currentTarget as HTMLTextAreaElement).value)}
        />
      </div>
      <div id="request-check" class="request-editor-check" aria-live="polite">
        <h2 class="request-editor-check-title">Validation</h2>
        {check.kind === "empty" ? <p class="muted">Write or paste a request; it is checked as you type.</p> : null}
        {check.kind === "checking" ? <p class="muted">Checking…</p> : null}
        {check.kind === "unchecked" ? <p>{check.sentence}</p> : null}
        {check.kind === "valid" ? (
          <p class="request-valid">
            <span aria-hidden="true">✓ </span>
            {check.sentence}
          </p>
        ) : null}
        {check.kind === "invalid" ? (
          <>
            {check.fields.map((group) => (
              <div key={group.field} class="request-field">
                <p class="request-field-name">
                  <code>{group.field}</code>
                </p>
                <ul role="alert" class="request-field-messages">
                  {group.messages.map((message) => (
                    <li key={message}>{message}</li>
                  ))}
                </ul>
              </div>
            ))}
            {check.fix ? (
              <p class="request-fix">
                <strong>Fix:</strong> {check.fix}
              </p>
            ) : null}
          </>
        ) : null}
      </div>
    </div>
  );
}
