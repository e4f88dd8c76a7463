import type { JSX } from "preact";
import { localTime, shortDigest, timeAgo } from "../format";
import { displayName, type PrincipalNames } from "../principals";
import type { HistoryEntry } from "../types";
import { StatusBadge } from "./StatusBadge";

/** Props of `HistoryTable`: the entries newest first, the update serving now, and the rollback action when allowed. */
export interface HistoryTableProps {
  readonly entries: readonly HistoryEntry[];
  readonly servingUpdate: number | null;
  /** Absent for a token that may not roll back: then no button is shown at all. */
  readonly onRollback?: (entry: HistoryEntry) => void;
  /** The update a rollback is being queued to, whose button shows it is working. */
  readonly pendingUpdate?: number | null;
  /** Names of the principals entries record by id. */
  readonly names?: PrincipalNames;
}

/** Whether a rollback to this entry makes sense: a deploy that succeeded and is not what serves now. */
export function canRollBackTo(entry: HistoryEntry, servingUpdate: number | null): boolean {
  return entry.rollback_allowed ?? (entry.kind === "update" && entry.outcome === "succeeded" && entry.update !== servingUpdate);
}

/** A stack's history, newest first: version, result, what happened, deployer, digest, time; rollback per entry. */
export function HistoryTable({ entries, servingUpdate, onRollback, pendingUpdate, names = new Map() }: HistoryTableProps): JSX.Element {
  return (
    // Focusable, so a keyboard can scroll the table sideways (a read token sees no button in it); a narrow screen shows each row as a card.
    <div class="table-wrap" tabIndex={0} role="region" aria-label="Updates of this stack">
      <table class="table-stack">
        <caption class="visually-hidden">Updates of this stack, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Result</th>
            <th scope="col">What happened</th>
            <th scope="col">Deployer</th>
            <th scope="col">Digest</th>
            <th scope="col">Time</th>
            {onRollback ? <th scope="col">Action</th> : null}
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => {
            const time = entry.endTime ?? entry.startTime;
            // Who ran it, as the service verified it; the request's own deployer label beside it when it says more.
            const who = entry.deployer_name ?? entry.ranBy ?? entry.deployer;
            return (
              <tr key={entry.update}>
                <td data-label="Version">
                  <strong>{entry.versionName ?? "—"}</strong>
                  <div class="muted small">
                    update {entry.update}
                    {entry.update === servingUpdate ? " · serving" : ""}
                  </div>
                </td>
                <td data-label="Result">
                  <StatusBadge status={entry.outcome} />
                </td>
                <td data-label="What happened">{entry.description}</td>
                <td data-label="Deployer">
                  {who ?? <span class="muted">unknown</span>}
                  {entry.deployer && entry.deployer !== who ? <div class="muted small">for {entry.deployer}</div> : null}
                </td>
                <td data-label="Digest">
                  {entry.artifactDigest ? (
                    <code class="mono" title={entry.artifactDigest}>
                      {shortDigest(entry.artifactDigest)}
                    </code>
                  ) : (
                    <span class="muted">none</span>
                  )}
                </td>
                <td data-label="Time">
                  <time dateTime={time} title={localTime(time)}>
                    {timeAgo(time)}
                  </time>
                  <div class="muted small">{localTime(time)}</div>
                </td>
                {onRollback ? (
                  <td data-label="Action">
                    {canRollBackTo(entry, servingUpdate) ? (
                      <button
                        type="button"
                        class="button button-small"
                        disabled={pendingUpdate !== null && pendingUpdate !== undefined}
                        aria-label={`Roll back to this version (update ${entry.update}${entry.versionName ? `, ${entry.versionName}` : ""})`}
                        onClick={() => onRollback(entry)}
                      >
                        {pendingUpdate === entry.update ? "Rolling back…" : "Roll back to this version"}
                      </button>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
