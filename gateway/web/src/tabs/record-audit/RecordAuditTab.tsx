// Every change of the record (`GET /audit/{entity}/{id}`), newest first, a page at a time.
import { useCallback, useEffect, useState } from "react";
import { ApiError, get } from "../../core/api";
import type { TabProps } from "../../core/registry";
import { useT } from "../../i18n";
import { AuditEntries } from "./AuditEntries";
import { AUDITED, type AuditEntry, type AuditPage } from "./entities";

export default function RecordAuditTab({ entity, record }: TabProps) {
  const t = useT();
  const [items, setItems] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const base = `/audit/${AUDITED[entity] ?? entity}/${encodeURIComponent(record.id)}`;

  const load = useCallback(
    (cursor: string | null) => {
      const path = cursor ? `${base}?cursor=${encodeURIComponent(cursor)}` : base;
      get<AuditPage>(path).then(
        (page) => {
          setItems((before) => (cursor && before ? [...before, ...page.items] : page.items));
          setNext(page.next_cursor);
        },
        (error) => {
          if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
        },
      );
    },
    [base],
  );
  // the trail follows the record: a new version brings its entry (the events come a
  // moment later, so the tab also loads again when reopened)
  useEffect(() => load(null), [load, record.version]);

  if (failed) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!items) return <div className="loading" aria-busy="true" />;
  if (!items.length) return <p className="muted empty-note">{t("audit.none")}</p>;
  return (
    <div className="record-audit">
      <AuditEntries items={items} />
      {next ? (
        <button type="button" className="button" onClick={() => load(next)}>
          {t("audit.more")}
        </button>
      ) : null}
    </div>
  );
}
