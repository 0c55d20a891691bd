// A list of emails loaded a page at a time ("Show more"), loaded again on demand.
import { useCallback, useEffect, useState } from "react";
import { ApiError } from "../../core/api";
import { listEmails, type Email } from "./api";

export function useEmails(filters: Record<string, string>) {
  const key = JSON.stringify(filters);
  const [emails, setEmails] = useState<Email[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const [busy, setBusy] = useState(false);

  const load = useCallback(
    (cursor: string | null) => {
      setBusy(true);
      listEmails(JSON.parse(key) as Record<string, string>, cursor)
        .then(
          (page) => {
            setEmails((before) => (cursor && before ? [...before, ...page.items] : page.items));
            setNext(page.next_cursor);
            setFailed(false);
          },
          (error) => !(error instanceof ApiError && error.status === 401) && setFailed(true),
        )
        .finally(() => setBusy(false));
    },
    [key],
  );
  const reload = useCallback(() => load(null), [load]);
  useEffect(reload, [reload]);
  return { emails, failed, busy, reload, more: next ? () => load(next) : null };
}
