// Import (/imports): upload a file, check how its columns map to fields and how its
// first rows read, choose what a duplicate does, start, follow the progress, download
// the rejected rows, roll back; and the history of imports. One import at
// /imports/<id>, the upload and the history at /imports.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, BASE, get, request } from "../../core/api";
import type { SectionProps } from "../../core/registry";
import { Link, navigate } from "../../core/router";
import { useT, type Translator } from "../../i18n";
import "./imports.css";

const ENTITIES = ["leads", "contacts", "accounts", "opportunities", "activities", "products"];
/** The fields a file's column may go to, per entity (the imports service's own list). */
const FIELDS: Record<string, string[]> = {
  leads: ["contact_name", "account_name", "email", "phone", "source", "channel", "need_type", "region", "notes", "utm_source", "utm_medium", "utm_campaign"],
  contacts: ["full_name", "email", "phone", "account_name", "job_title"],
  accounts: ["name", "industry", "web", "phone", "email"],
  opportunities: ["title", "account_name", "amount", "budget", "currency", "probability", "close_date", "need_type"],
  activities: ["title", "type", "description", "status", "priority", "start_at", "due_at"],
  products: ["code", "name", "unit", "category", "description", "tax_rate", "is_active"],
};
const MATCH_KEYS: Record<string, string[]> = {
  leads: ["email", "phone", "name_company"],
  contacts: ["email", "phone", "name_company"],
  accounts: ["name", "email", "phone"],
  opportunities: [],
  activities: [],
  products: ["code"],
};
const RUNNING = ["queued", "running", "rollback_queued", "rolling_back"];

interface Job {
  id: string;
  entity: string;
  status: string;
  file_name: string;
  format: string | null;
  columns: string[];
  mapping: (string | null)[];
  options: { match_on: string[]; on_duplicate: string; create_accounts: boolean };
  progress: { total: number; done: number; failed: number };
  counts: Record<string, number>;
  error: string | null;
  created_at: string;
}

interface PreviewCell {
  value: unknown;
  field: string | null;
  error: string | null;
}

function fieldLabel(t: Translator, entity: string, name: string): string {
  // a contact's email and phone, a deal's or contact's account by name: the file's own
  if (entity !== "leads" && entity !== "accounts" && ["account_name", "email", "phone"].includes(name)) {
    return t(`imports.field.${name}`);
  }
  return t.field(entity, name, name.replace(/_/g, " "));
}

function problemText(error: unknown, t: Translator): string {
  if (error instanceof ApiError) {
    const reasons = error.errors.map((e) => e.message).filter((m) => m && m !== error.message);
    return [error.message, ...reasons].join(" — ");
  }
  return t("error.unreachable");
}

export default function ImportsSection({ subpath }: SectionProps) {
  const id = subpath[0];
  return <div className="page imports-page">{id ? <ImportJob id={id} /> : <NewImport />}</div>;
}

function NewImport() {
  const t = useT();
  const [entity, setEntity] = useState("leads");
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const upload = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!file) return;
    setBusy(true);
    setProblem(null);
    const form = new FormData();
    form.append("entity", entity); // before the file: the server streams it as it comes
    form.append("file", file, file.name);
    try {
      const response = await fetch(`${BASE}/imports`, { method: "POST", body: form, credentials: "same-origin" });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new ApiError(response.status, body.title ?? "", body.detail ?? null, body.errors ?? [], body);
      navigate(`/imports/${body.id}`);
    } catch (error) {
      setProblem(problemText(error, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <header className="page-head">
        <h1 className="grow">{t("imports.new")}</h1>
      </header>
      <p className="muted">{t("imports.intro")}</p>
      <form className="imports-upload" onSubmit={(e) => void upload(e)}>
        <label>
          <span>{t("imports.entity")}</span>
          <select value={entity} onChange={(e) => setEntity(e.target.value)} name="entity">
            {ENTITIES.map((name) => (
              <option key={name} value={name}>
                {t(`imports.entity.${name}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>{t("imports.file")}</span>
          <input type="file" name="file" accept=".xlsx,.xls,.ods,.csv,text/csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <button type="submit" className="button primary" disabled={!file || busy}>
          {busy ? t("imports.uploading") : t("imports.upload")}
        </button>
      </form>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      <History />
    </>
  );
}

function History() {
  const t = useT();
  const [jobs, setJobs] = useState<Job[] | null>(null);
  useEffect(() => {
    get<{ items: Job[] }>("/imports?limit=50").then(
      (page) => setJobs(page.items),
      () => setJobs([]),
    );
  }, []);
  return (
    <section className="imports-history">
      <h2>{t("imports.history")}</h2>
      {jobs && jobs.length === 0 && <p className="muted">{t("imports.noHistory")}</p>}
      {jobs && jobs.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>{t("imports.col.file")}</th>
              <th>{t("imports.col.entity")}</th>
              <th>{t("imports.col.status")}</th>
              <th>{t("imports.col.progress")}</th>
              <th>{t("imports.col.created")}</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr key={job.id}>
                <td>
                  <Link to={`/imports/${job.id}`}>{job.file_name}</Link>
                </td>
                <td>{t(`imports.entity.${job.entity}`)}</td>
                <td>{t(`imports.status.${job.status}`)}</td>
                <td>{t.plural("imports.progress", job.progress.total, progressParams(t, job))}</td>
                <td>{t.dateTime(job.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function progressParams(t: Translator, job: Job) {
  return { done: t.number(job.progress.done), total: t.number(job.progress.total), failed: t.number(job.progress.failed) };
}

function ImportJob({ id }: { id: string }) {
  const t = useT();
  const [job, setJob] = useState<Job | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const timer = useRef<number | null>(null);

  const load = useCallback(async () => {
    try {
      const current = await get<Job>(`/imports/${encodeURIComponent(id)}`);
      setJob(current);
      if (RUNNING.includes(current.status)) timer.current = window.setTimeout(() => void load(), 700);
    } catch (error) {
      setProblem(problemText(error, t));
    }
  }, [id, t]);

  useEffect(() => {
    void load();
    return () => {
      if (timer.current) window.clearTimeout(timer.current);
    };
  }, [load]);

  const act = async (path: string, body?: unknown) => {
    setProblem(null);
    try {
      const answer = await request<Job>(`/imports/${encodeURIComponent(id)}${path}`, { method: body === undefined ? "POST" : "PATCH", body });
      setJob(answer.data);
      if (RUNNING.includes(answer.data.status)) timer.current = window.setTimeout(() => void load(), 500);
    } catch (error) {
      setProblem(problemText(error, t));
    }
  };

  if (!job) return problem ? <p className="form-error">{problem}</p> : <div className="loading" aria-busy="true" />;
  const percent = job.progress.total ? Math.round((100 * job.progress.done) / job.progress.total) : 0;
  return (
    <>
      <header className="page-head">
        <h1 className="grow">{job.file_name}</h1>
        <span className="badge" data-status={job.status}>
          {t(`imports.status.${job.status}`)}
        </span>
      </header>
      <p className="muted">
        {t(`imports.entity.${job.entity}`)} · {t("imports.fileInfo", { format: (job.format ?? "").toUpperCase(), columns: job.columns.length })}
      </p>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      {job.status === "ready" ? (
        <Setup job={job} onChange={(body) => act("", body)} onStart={() => act("/start")} />
      ) : (
        <section className="imports-progress">
          <progress max={100} value={job.status === "done" || job.status === "rolled_back" ? 100 : percent} aria-label={t("imports.progressLabel")} />
          <p role="status">{t.plural("imports.progress", job.progress.total, progressParams(t, job))}</p>
          <p>
            {t("imports.counts", {
              created: t.number(job.counts.created ?? 0),
              updated: t.number(job.counts.updated ?? 0),
              skipped: t.number(job.counts.skipped ?? 0),
              failed: t.number(job.progress.failed),
            })}
          </p>
          {job.status === "rolled_back" && <p>{t("imports.rolledBack", { count: t.number(job.counts.rolled_back ?? 0) })}</p>}
          {job.error && <p className="form-error">{job.error}</p>}
          <div className="imports-actions">
            {job.progress.failed > 0 && (
              <a className="button" href={`${BASE}/imports/${encodeURIComponent(job.id)}/errors`} download>
                {t("imports.errorReport")}
              </a>
            )}
            {(job.status === "done" || job.status === "failed") && (
              <button
                type="button"
                className="button danger"
                onClick={() => {
                  if (window.confirm(t("imports.rollbackConfirm"))) void act("/rollback");
                }}
              >
                {t("imports.rollback")}
              </button>
            )}
            <Link to="/imports" className="button ghost">
              {t("imports.another")}
            </Link>
          </div>
        </section>
      )}
    </>
  );
}

function Setup({ job, onChange, onStart }: { job: Job; onChange: (body: unknown) => Promise<void>; onStart: () => Promise<void> }) {
  const t = useT();
  const [rows, setRows] = useState<{ row: number; cells: PreviewCell[] }[]>([]);
  const mappingKey = JSON.stringify(job.mapping);
  useEffect(() => {
    get<{ rows: { row: number; cells: PreviewCell[] }[] }>(`/imports/${encodeURIComponent(job.id)}/preview?limit=10`).then(
      (preview) => setRows(preview.rows),
      () => setRows([]),
    );
  }, [job.id, mappingKey]);
  const fields = FIELDS[job.entity] ?? [];
  const keys = MATCH_KEYS[job.entity] ?? [];
  const options = job.options;
  const setOptions = (change: Partial<Job["options"]>) => void onChange({ options: { ...options, ...change } });

  return (
    <>
      <section>
        <h2>{t("imports.mapping")}</h2>
        <table className="table imports-mapping">
          <thead>
            <tr>
              <th>{t("imports.column")}</th>
              <th>{t("imports.field")}</th>
            </tr>
          </thead>
          <tbody>
            {job.columns.map((column, index) => (
              <tr key={index}>
                <td>{column}</td>
                <td>
                  <select
                    aria-label={column}
                    value={job.mapping[index] ?? ""}
                    onChange={(e) => {
                      const mapping = job.mapping.map((m, i) => (i === index ? e.target.value || null : m === e.target.value ? null : m));
                      void onChange({ mapping });
                    }}
                  >
                    <option value="">{t("imports.skipColumn")}</option>
                    {fields.map((name) => (
                      <option key={name} value={name}>
                        {fieldLabel(t, job.entity, name)}
                      </option>
                    ))}
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>{t("imports.preview")}</h2>
        <p className="muted">{t("imports.previewHint")}</p>
        <div className="imports-preview">
          <table className="table">
            <thead>
              <tr>
                <th>#</th>
                {job.columns.map((column, index) => (
                  <th key={index}>{job.mapping[index] ? fieldLabel(t, job.entity, job.mapping[index] as string) : <s>{column}</s>}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.row}>
                  <td>{row.row}</td>
                  {row.cells.map((cell, index) => (
                    <td key={index} className={cell.error ? "cell-error" : cell.field ? undefined : "cell-skipped"} title={cell.error ?? undefined} data-error={cell.error ?? undefined}>
                      {cell.value === null || cell.value === undefined ? "" : String(cell.value)}
                      {cell.error && <span className="cell-reason">{cell.error}</span>}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      {keys.length > 0 && (
        <section className="imports-duplicates">
          <h2>{t("imports.duplicates")}</h2>
          <fieldset>
            <legend>{t("imports.matchOn")}</legend>
            {keys.map((key) => (
              <label key={key} className="check">
                <input
                  type="checkbox"
                  checked={options.match_on.includes(key)}
                  onChange={(e) =>
                    setOptions({ match_on: e.target.checked ? [...options.match_on, key] : options.match_on.filter((k) => k !== key) })
                  }
                />
                {t(`imports.match.${key}`)}
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend>{t("imports.onDuplicate")}</legend>
            {["skip", "update", "create"].map((choice) => (
              <label key={choice} className="check">
                <input type="radio" name="on_duplicate" checked={options.on_duplicate === choice} onChange={() => setOptions({ on_duplicate: choice })} />
                {t(`imports.on.${choice}`)}
              </label>
            ))}
          </fieldset>
        </section>
      )}
      {(job.entity === "contacts" || job.entity === "opportunities") && (
        <label className="check">
          <input type="checkbox" checked={options.create_accounts} onChange={(e) => setOptions({ create_accounts: e.target.checked })} />
          {t("imports.createAccounts")}
        </label>
      )}
      <div className="imports-actions">
        <button type="button" className="button primary" onClick={() => void onStart()}>
          {t("imports.start")}
        </button>
      </div>
    </>
  );
}
