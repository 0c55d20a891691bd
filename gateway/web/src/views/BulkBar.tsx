// Bulk work on a list's selection: assign an owner, change a field, post on each record's
// feed, delete. The dialog says how many records first; the API does each record as the
// user (rights and versions checked one by one) and answers done / refused per record —
// at once for a few, as a job with its progress for more (POST /bulk-actions).
import { useEffect, useRef, useState } from "react";
import { ApiError, get, request } from "../core/api";
import { may, type EntityMeta, type EntityRecord, type FieldMeta } from "../core/meta";
import { addMessages, useT } from "../i18n";
import { Dialog, problemText } from "./Dialog";
import { FieldInput } from "./FieldInput";
import { LookupPicker } from "./LookupPicker";
import messages from "./bulkMessages";
import type { EntityConfig } from "./config";
import { selectionBody, type Selection } from "./bulkSelection";
import "./bulk.css";

addMessages(messages);

export { selectionBody, type Selection };

export type BulkAction = "assign" | "update" | "post" | "delete";

/** The records whose feed takes posts. */
const FEED_ENTITIES = new Set(["leads", "accounts", "contacts", "opportunities", "orders", "invoices"]);
const NOT_CHANGED = new Set(["id", "version", "created_at", "updated_at", "created_by", "owner_id"]);
const POLL_MS = 400;

interface BulkResult {
  id: string;
  outcome: "done" | "refused";
  status: number | null;
  reason: string | null;
}

interface BulkJob {
  id: string | null;
  state: "counted" | "running" | "done" | "failed";
  total: number | null;
  done: number;
  refused: number;
  results: BulkResult[];
  error: string | null;
}

export function availableActions(config: EntityConfig, meta: EntityMeta | null): BulkAction[] {
  if (!meta) return [];
  const out: BulkAction[] = [];
  const owned = meta.fields.some((f) => f.name === "owner_id" && !f.read_only);
  if (may(meta, "update") && owned) out.push("assign");
  if (may(meta, "update") && changeableFields(meta).length) out.push("update");
  if (FEED_ENTITIES.has(config.entity)) out.push("post");
  if (may(meta, "delete") && !config.noDelete) out.push("delete");
  return out;
}

function changeableFields(meta: EntityMeta): FieldMeta[] {
  const readOnly = new Set(meta.permissions?.read_only ?? []);
  return meta.fields.filter((f) => !f.read_only && !NOT_CHANGED.has(f.name) && !readOnly.has(f.name) && f.type !== "list");
}

interface BarProps {
  config: EntityConfig;
  meta: EntityMeta | null;
  selection: Selection;
  /** Rows loaded so far (versions and names of the selected). */
  rows: EntityRecord[];
  /** All rows that match are loaded (nothing more to select beyond them). */
  allLoaded: boolean;
  query: URLSearchParams;
  onSelectAllMatching: () => void;
  onClear: () => void;
  /** Records changed: read the list again. */
  onChanged: () => void;
}

export function BulkBar({ config, meta, selection, rows, allLoaded, query, onSelectAllMatching, onClear, onChanged }: BarProps) {
  const t = useT();
  const [action, setAction] = useState<BulkAction | null>(null);
  const actions = availableActions(config, meta);
  const count = selection.allMatching ? selection.matchingCount : selection.ids.length;
  return (
    <div className="bulk-bar" role="region" aria-label={t("bulk.region")}>
      <strong role="status" aria-live="polite">
        {selection.allMatching
          ? count === null
            ? t("bulk.allMatching")
            : t.plural("bulk.selected", count)
          : t.plural("bulk.selected", selection.ids.length)}
      </strong>
      {!selection.allMatching && !allLoaded && (
        <button type="button" className="button ghost small" onClick={onSelectAllMatching}>
          {selection.matchingCount !== null
            ? t.plural("bulk.selectAllCount", selection.matchingCount)
            : t("bulk.selectAll")}
        </button>
      )}
      <button type="button" className="button ghost small" onClick={onClear}>
        {t("bulk.clear")}
      </button>
      <div className="spacer" />
      {actions.map((a) => (
        <button
          key={a}
          type="button"
          className={a === "delete" ? "button small danger-ghost" : "button small"}
          data-bulk-action={a}
          onClick={() => setAction(a)}
        >
          {t(`bulk.action.${a}`)}
        </button>
      ))}
      {action && meta && (
        <BulkDialog
          config={config}
          meta={meta}
          action={action}
          selection={selection}
          rows={rows}
          query={query}
          onClose={(changed) => {
            setAction(null);
            if (changed) onChanged();
          }}
        />
      )}
    </div>
  );
}

interface DialogProps {
  config: EntityConfig;
  meta: EntityMeta;
  action: BulkAction;
  selection: Selection;
  rows: EntityRecord[];
  query: URLSearchParams;
  onClose: (changed: boolean) => void;
}

function BulkDialog({ config, meta, action, selection, rows, query, onClose }: DialogProps) {
  const t = useT();
  const [count, setCount] = useState<number | null>(selection.allMatching ? selection.matchingCount : selection.ids.length);
  const [owner, setOwner] = useState<string | null>(null);
  const fields = changeableFields(meta);
  const [fieldName, setFieldName] = useState(fields[0]?.name ?? "");
  const [value, setValue] = useState<unknown>(null);
  const [text, setText] = useState("");
  const [job, setJob] = useState<BulkJob | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);

  const base = () => ({ entity: config.entity, action, ...selectionBody(selection, rows, query) });
  const details = (): Record<string, unknown> | null => {
    if (action === "assign") return owner ? { owner_id: owner } : null;
    if (action === "update") return fieldName ? { changes: { [fieldName]: value === "" ? null : value } } : null;
    if (action === "post") return text.trim() ? { text: text.trim() } : null;
    return {};
  };

  // all the matching records of a list that does not count them: ask the API how many
  useEffect(() => {
    if (count !== null) return;
    const body = { ...base(), dry_run: true };
    request<BulkJob>("/bulk-actions", { method: "POST", body }).then(
      (answer) => alive.current && setCount(answer.data.total ?? 0),
      (caught) => alive.current && setError(problemText(caught, t("error.loadFailed"))),
    );
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const run = async () => {
    const extra = details();
    if (!extra) {
      setError(t(`bulk.missing.${action}`));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const answer = await request<BulkJob>("/bulk-actions", { method: "POST", body: { ...base(), ...extra } });
      let current = answer.data;
      setJob(current);
      while (current.state === "running" && current.id && alive.current) {
        await new Promise((resolve) => window.setTimeout(resolve, POLL_MS));
        current = await get<BulkJob>(`/bulk-actions/${encodeURIComponent(current.id)}`);
        if (alive.current) setJob(current);
      }
    } catch (caught) {
      if (alive.current) setError(caught instanceof ApiError ? problemText(caught, t("error.saveFailed")) : t("error.saveFailed"));
    } finally {
      if (alive.current) setBusy(false);
    }
  };

  const finished = job && job.state !== "running";
  const names = new Map(rows.map((row) => [row.id, config.title(row) || row.id]));
  const field = fields.find((f) => f.name === fieldName);
  const title = t(`bulk.title.${action}`);

  return (
    <Dialog
      title={title}
      className="bulk-dialog"
      onClose={() => !busy && onClose(!!job)}
      onSubmit={() => (finished ? onClose(true) : !busy && count !== null && void run())}
      actions={
        finished ? (
          <button type="submit" className="button primary">
            {t("bulk.close")}
          </button>
        ) : (
          <>
            <button type="button" className="button ghost" disabled={busy} onClick={() => onClose(false)}>
              {t("action.cancel")}
            </button>
            <button type="submit" className={action === "delete" ? "button danger" : "button primary"} disabled={busy || count === null}>
              {count === null ? t("bulk.counting") : t.plural(`bulk.do.${action}`, count)}
            </button>
          </>
        )
      }
    >
      {!job && (
        <>
          <p className="bulk-confirm" data-count={count ?? undefined}>
            {count === null ? t("bulk.counting") : t.plural(`bulk.confirm.${action}`, count)}
          </p>
          {action === "assign" && (
            <div className="field">
              <label className="field-label" htmlFor="bulk-owner">
                {t("bulk.owner")}
              </label>
              <LookupPicker lookup="users" value={owner} onChange={(id) => setOwner(id)} id="bulk-owner" required />
            </div>
          )}
          {action === "update" && (
            <>
              <div className="field">
                <label className="field-label" htmlFor="bulk-field">
                  {t("bulk.field")}
                </label>
                <select
                  id="bulk-field"
                  value={fieldName}
                  onChange={(e) => {
                    setFieldName(e.target.value);
                    setValue(null);
                  }}
                >
                  {fields.map((f) => (
                    <option key={f.name} value={f.name}>
                      {t.field(config.entity, f.name, f.label)}
                    </option>
                  ))}
                </select>
              </div>
              {field && (
                <FieldInput
                  key={field.name}
                  entity={config.entity}
                  field={{ ...field, required: false }}
                  label={t("bulk.value")}
                  value={value}
                  errors={[]}
                  record={{}}
                  onChange={setValue}
                />
              )}
            </>
          )}
          {action === "post" && (
            <div className="field">
              <label className="field-label" htmlFor="bulk-text">
                {t("bulk.text")}
              </label>
              <textarea id="bulk-text" rows={4} value={text} onChange={(e) => setText(e.target.value)} />
            </div>
          )}
        </>
      )}
      {job && <Progress job={job} names={names} />}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}

function Progress({ job, names }: { job: BulkJob; names: Map<string, string> }) {
  const t = useT();
  const handled = job.done + job.refused;
  const refused = job.results.filter((r) => r.outcome === "refused");
  return (
    <div className="bulk-progress" data-state={job.state}>
      {job.state === "running" ? (
        <>
          <progress max={job.total ?? undefined} value={job.total ? handled : undefined} aria-label={t("bulk.progress")} />
          <p role="status">{job.total === null ? t("bulk.reading") : t("bulk.running", { done: t.number(handled), total: t.number(job.total) })}</p>
        </>
      ) : (
        <p role="status" className="bulk-summary" data-done={job.done} data-refused={job.refused}>
          {job.state === "failed" ? t("bulk.failed", { reason: job.error ?? "" }) : t("bulk.summary", { done: t.number(job.done), refused: t.number(job.refused) })}
        </p>
      )}
      {refused.length > 0 && (
        <ul className="bulk-refused" aria-label={t("bulk.refusedList")}>
          {refused.slice(0, 100).map((r) => (
            <li key={r.id} data-id={r.id}>
              <strong>{names.get(r.id) ?? r.id}</strong>
              {" — "}
              {t.has(`bulk.status.${r.status}`) ? `${t(`bulk.status.${r.status}`)}: ` : ""}
              {r.reason}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
