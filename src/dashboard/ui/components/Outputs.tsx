import { Fragment, type JSX } from "preact";
import { safeHref } from "../format";

/** Props of `Outputs`: a stack's outputs as the API answers them (secret ones already masked). */
export interface OutputsProps {
  readonly outputs: Readonly<Record<string, unknown>>;
}

/** One output value in words: text as it is, a URL as a link, a list joined, anything deeper compact and readable. */
function OutputValue({ value }: { value: unknown }): JSX.Element {
  if (value === null || value === undefined) return <span class="muted">none</span>;
  if (typeof value === "string") {
    const href = /^https?:\/\//.test(value) ? safeHref(value) : null;
    return href ? <a href={href}>{value}</a> : <span class="mono">{value}</span>;
  }
  if (typeof value === "number" || typeof value === "boolean") return <span>{String(value)}</span>;
  if (Array.isArray(value) && value.every((item) => typeof item !== "object" || item === null)) {
    return <span>{value.length === 0 ? "none" : value.map(String).join(", ")}</span>;
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    return (
      <dl class="facts facts-nested">
        {entries.map(([key, inner]) => (
          <Fragment key={key}>
            <dt>{key}</dt>
            <dd>
              <OutputValue value={inner} />
            </dd>
          </Fragment>
        ))}
      </dl>
    );
  }
  return <span>{String(value)}</span>;
}

/** A stack's outputs as a definition list: name, then value in words. */
export function Outputs({ outputs }: OutputsProps): JSX.Element {
  const entries = Object.entries(outputs).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return <p class="muted">The stack has no outputs.</p>;
  return (
    <dl class="facts">
      {entries.map(([key, value]) => (
        <Fragment key={key}>
          <dt>{key}</dt>
          <dd>
            <OutputValue value={value} />
          </dd>
        </Fragment>
      ))}
    </dl>
  );
}
