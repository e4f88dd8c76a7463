/** Loading API data into a screen: the answer, the failure, whether it is loading, and a way to load it again. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, ApiFailure, type FailureBody } from "./api";

/** The state of one GET: `data` stays while a reload runs, so the screen does not flash empty. */
export interface Loaded<T> {
  readonly data: T | null;
  readonly failure: FailureBody | null;
  /** The HTTP status of the failure (0 when the service could not be reached). */
  readonly status: number | null;
  readonly loading: boolean;
  readonly reload: () => void;
}

/** Options of `useApi`: poll every `pollMs` while the screen is open (for state that changes on its own). */
export interface LoadOptions {
  readonly pollMs?: number;
}

/** GETs `path` (null: nothing to load yet) when the screen opens and whenever `path` changes. */
export function useApi<T>(path: string | null, options: LoadOptions = {}): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [failure, setFailure] = useState<FailureBody | null>(null);
  const [status, setStatus] = useState<number | null>(null);
  const [loading, setLoading] = useState(path !== null);
  const [generation, setGeneration] = useState(0);
  const current = useRef(path);
  current.current = path;

  useEffect(() => {
    if (path === null) return;
    let live = true;
    setLoading(true);
    api<T>("GET", path)
      .then((answer) => {
        // An answer for a path the screen has since left is dropped.
        if (!live || current.current !== path) return;
        setData(answer);
        setFailure(null);
        setStatus(null);
      })
      .catch((error: unknown) => {
        if (!live) return;
        setFailure(error instanceof ApiFailure ? error.failure : { stage: "internal", reason: String(error) });
        setStatus(error instanceof ApiFailure ? error.status : 0);
      })
      .finally(() => {
        if (live) setLoading(false);
      });
    return () => {
      live = false;
    };
  }, [path, generation]);

  useEffect(() => {
    if (path === null || !options.pollMs) return;
    const timer = setInterval(() => setGeneration((value) => value + 1), options.pollMs);
    return () => clearInterval(timer);
  }, [path, options.pollMs]);

  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { data, failure, status, loading, reload };
}
