// Export of the list as the user sees it (its filter, sort, search and columns) to
// xlsx or csv: POST /exports answers with the file when the list has up to 10,000
// rows, else with a job whose progress is shown until its file can be downloaded.
import { useEffect, useRef, useState } from "react";
import { ApiError, BASE, get } from "../core/api";
import { useT } from "../i18n";
import { Icon } from "../shell/Icon";
import { dispositionName } from "./charts/exportFile";
import "./export-button.css";

const DOWNLOAD = "M12 3v12M7 10l5 5 5-5M5 21h14";

interface ExportJob {
  id: string;
  status: string;
  file_name: string;
  progress: { total: number; done: number; failed: number };
  error: string | null;
}

/** The export body of a list query (`filter[x]=a,b`, `sort`, `q` of the list's URL). */
export function exportBody(entity: string, query: URLSearchParams, columns: string[], format: string) {
  const filter: Record<string, string> = {};
  for (const [key, value] of query.entries()) {
    const match = /^filter\[(.+)\]$/.exec(key);
    if (match) filter[match[1]] = value;
  }
  return {
    resource: entity,
    columns,
    format,
    filter,
    sort: query.get("sort") || undefined,
    q: query.get("q") || undefined,
  };
}

function save(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function ExportButton({ entity, query, columns }: { entity: string; query: URLSearchParams; columns: string[] }) {
  const t = useT();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [job, setJob] = useState<ExportJob | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const timer = useRef<number | null>(null);

  useEffect(() => () => {
    if (timer.current) window.clearTimeout(timer.current);
  }, []);

  const follow = (id: string) => {
    timer.current = window.setTimeout(async () => {
      try {
        const current = await get<ExportJob>(`/exports/${encodeURIComponent(id)}`);
        setJob(current);
        if (current.status !== "done" && current.status !== "failed") follow(id);
      } catch {
        follow(id);
      }
    }, 1000);
  };

  const run = async (format: "xlsx" | "csv") => {
    setOpen(false);
    setBusy(true);
    setNote(null);
    try {
      const response = await fetch(`${BASE}/exports`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(exportBody(entity, query, columns, format)),
        credentials: "same-origin",
      });
      if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        throw new ApiError(response.status, problem.title ?? response.statusText, problem.detail ?? null, Array.isArray(problem.errors) ? problem.errors : [], problem);
      }
      if (response.status === 202) {
        const started = (await response.json()) as ExportJob;
        setJob(started);
        follow(started.id);
      } else {
        const name = dispositionName(response.headers.get("Content-Disposition"), `${entity}.${format}`);
        save(await response.blob(), name);
        setNote(t("export.saved", { file: name }));
      }
    } catch (error) {
      setNote(error instanceof ApiError ? error.message : t("error.unreachable"));
    } finally {
      setBusy(false);
    }
  };

  const percent = job && job.progress.total ? Math.round((100 * job.progress.done) / job.progress.total) : 0;
  return (
    <div className="export-button">
      <button
        type="button"
        className="button"
        aria-haspopup="menu"
        aria-expanded={open}
        disabled={busy}
        onClick={() => setOpen(!open)}
      >
        <Icon path={DOWNLOAD} size={16} />
        {busy ? t("export.working") : t("export.button")}
      </button>
      {open && (
        <div className="menu export-menu" role="menu">
          <button type="button" role="menuitem" onClick={() => void run("xlsx")}>
            {t("export.xlsx")}
          </button>
          <button type="button" role="menuitem" onClick={() => void run("csv")}>
            {t("export.csv")}
          </button>
        </div>
      )}
      {job && (
        <div className="export-job" role="status">
          {job.status === "done" ? (
            <a href={`${BASE}/exports/${encodeURIComponent(job.id)}/file`} download={job.file_name}>
              {t("export.download", { file: job.file_name })}
            </a>
          ) : job.status === "failed" ? (
            <span className="error">{t("export.failed")}</span>
          ) : (
            <>
              <progress max={100} value={percent} aria-label={t("export.progress")} />
              <span>{t("export.rows", { done: t.number(job.progress.done), total: t.number(job.progress.total) })}</span>
            </>
          )}
        </div>
      )}
      {note && (
        <span className="muted export-note" role="status">
          {note}
        </span>
      )}
    </div>
  );
}
