// Where the contact has worked: the primary place first, and a line to add another.
import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { ApiError, get, request, type FieldError } from "../../core/api";
import type { TabProps } from "../../core/registry";
import { useT } from "../../i18n";
import { LookupPicker } from "../../views/LookupPicker";
import { LookupValue } from "../../views/Value";

interface Career {
  id: string;
  account_id: string;
  job_title: string | null;
  is_primary: boolean;
  start_date: string | null;
  end_date: string | null;
}

export default function CareersTab({ record, reload }: TabProps) {
  const t = useT();
  const id = useId();
  const [careers, setCareers] = useState<Career[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [accountId, setAccountId] = useState<string | null>(null);
  const [job, setJob] = useState("");
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [primary, setPrimary] = useState(false);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    get<Career[] | { items: Career[] }>(`/contacts/${encodeURIComponent(record.id)}/careers`).then(
      (body) => setCareers(Array.isArray(body) ? body : (body.items ?? [])),
      (error) => {
        if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
      },
    );
  }, [record.id]);
  useEffect(load, [load]);

  const add = async (event: FormEvent) => {
    event.preventDefault();
    if (!accountId || busy) return;
    setBusy(true);
    setErrors([]);
    try {
      const body: Record<string, unknown> = { account_id: accountId, is_primary: primary };
      if (job.trim()) body.job_title = job.trim();
      if (start) body.start_date = start;
      if (end) body.end_date = end;
      await request(`/contacts/${encodeURIComponent(record.id)}/careers`, { method: "POST", body });
      setAccountId(null);
      setJob("");
      setStart("");
      setEnd("");
      setPrimary(false);
      load();
      if (primary) reload();
    } catch (error) {
      if (error instanceof ApiError && error.status !== 401)
        setErrors(error.errors.length ? error.errors : [{ field: "", message: error.message }]);
    } finally {
      setBusy(false);
    }
  };

  if (failed) return <p className="form-error">{t("error.loadFailed")}</p>;
  if (!careers) return <div className="loading" aria-busy="true" />;
  return (
    <div className="careers">
      {careers.length === 0 ? (
        <p className="muted empty-note">{t("careers.none")}</p>
      ) : (
        <ul className="plain-list">
          {careers.map((career) => (
            <li key={career.id} className="plain-row" data-career={career.id}>
              <div className="grow">
                <LookupValue lookup="accounts" id={career.account_id} />
                {career.job_title && <span className="muted"> · {career.job_title}</span>}
              </div>
              <span className="muted small">
                {career.start_date ? t.date(career.start_date) : ""}
                {career.start_date || career.end_date ? " – " : ""}
                {career.end_date ? t.date(career.end_date) : career.start_date ? t("careers.now") : ""}
              </span>
              {career.is_primary && <span className="badge accent">{t("careers.primaryBadge")}</span>}
            </li>
          ))}
        </ul>
      )}
      <form className="quick-add wrap" onSubmit={add} aria-label={t("careers.add")}>
        <div className="field grow">
          <label className="field-label" htmlFor={`${id}-account`}>
            {t("careers.account")}
          </label>
          <LookupPicker lookup="accounts" id={`${id}-account`} value={accountId} onChange={(v) => setAccountId(v)} />
        </div>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-job`}>
            {t("careers.job")}
          </label>
          <input id={`${id}-job`} type="text" maxLength={200} value={job} onChange={(e) => setJob(e.target.value)} />
        </div>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-from`}>
            {t("careers.from")}
          </label>
          <input id={`${id}-from`} type="date" value={start} onChange={(e) => setStart(e.target.value)} />
        </div>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-to`}>
            {t("careers.to")}
          </label>
          <input id={`${id}-to`} type="date" value={end} onChange={(e) => setEnd(e.target.value)} />
        </div>
        <label className="check">
          <input type="checkbox" checked={primary} onChange={(e) => setPrimary(e.target.checked)} />
          {t("careers.primary")}
        </label>
        <button type="submit" className="button primary" disabled={!accountId || busy}>
          {t("careers.add")}
        </button>
        {errors.length > 0 && (
          <p className="field-error" role="alert">
            {errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join("; ")}
          </p>
        )}
      </form>
    </div>
  );
}
