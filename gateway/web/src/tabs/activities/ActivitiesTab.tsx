// A record's activities: add a task, call or meeting in one line; complete one in a click.
import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { ApiError, get, request } from "../../core/api";
import { RELATED_TYPE } from "../../core/lookup";
import type { EntityRecord } from "../../core/meta";
import type { TabProps } from "../../core/registry";
import { useT } from "../../i18n";
import { ActivityRow, isOpen } from "../../views/activities";
import { fromLocalInput } from "../../views/format";

const TYPES = ["task", "call", "meeting"];

export default function ActivitiesTab({ entity, record }: TabProps) {
  const t = useT();
  const id = useId();
  const relatedType = RELATED_TYPE[entity];
  const [items, setItems] = useState<EntityRecord[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [type, setType] = useState("task");
  const [title, setTitle] = useState("");
  const [due, setDue] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const load = useCallback(async () => {
    const query = new URLSearchParams({
      "filter[related_type]": relatedType,
      "filter[related_id]": record.id,
      sort: "due_at",
      limit: "100",
    });
    try {
      const page = await get<{ items: EntityRecord[] }>(`/activities?${query.toString()}`);
      setItems(page.items);
      setFailed(false);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
    }
  }, [relatedType, record.id]);
  useEffect(() => {
    void load();
  }, [load]);

  const add = async (event: FormEvent) => {
    event.preventDefault();
    if (!title.trim() || busy) return;
    setBusy(true);
    setProblem(null);
    try {
      const body: Record<string, unknown> = { type, title: title.trim(), related_type: relatedType, related_id: record.id };
      const dueAt = fromLocalInput(due);
      if (dueAt) body.due_at = dueAt;
      const response = await request<EntityRecord>("/activities", { method: "POST", body });
      setItems((list) => [...(list ?? []), response.data]);
      setTitle("");
      setDue("");
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      setProblem(
        error instanceof ApiError && error.errors.length
          ? error.errors.map((e) => `${t.field("activities", e.field)}: ${e.message}`).join("; ")
          : error instanceof Error
            ? error.message
            : String(error),
      );
    } finally {
      setBusy(false);
    }
  };

  const replace = (changed: EntityRecord) => setItems((list) => list?.map((a) => (a.id === changed.id ? changed : a)) ?? null);
  const open = (items ?? []).filter(isOpen);
  const done = (items ?? []).filter((a) => !isOpen(a));

  return (
    <div className="activities-tab">
      <form className="quick-add" onSubmit={add} aria-label={t("activities.new")}>
        <label>
          <span className="visually-hidden">{t("activitiesTab.type")}</span>
          <select value={type} onChange={(e) => setType(e.target.value)} name="type">
            {TYPES.map((value) => (
              <option key={value} value={value}>
                {t.option("activities", "type", value)}
              </option>
            ))}
          </select>
        </label>
        <label className="grow">
          <span className="visually-hidden">{t("activitiesTab.title")}</span>
          <input
            type="text"
            name="title"
            placeholder={t("activitiesTab.titlePlaceholder")}
            aria-label={t("activitiesTab.title")}
            value={title}
            maxLength={300}
            onChange={(e) => setTitle(e.target.value)}
          />
        </label>
        <label htmlFor={`${id}-due`} className="visually-hidden">
          {t("activitiesTab.due")}
        </label>
        <input id={`${id}-due`} type="datetime-local" name="due_at" value={due} onChange={(e) => setDue(e.target.value)} />
        <button type="submit" className="button primary" disabled={busy || !title.trim()}>
          {t("activitiesTab.add")}
        </button>
      </form>
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {!items && !failed && <div className="loading" aria-busy="true" />}
      {items && items.length === 0 && <p className="muted empty-note">{t("activitiesTab.none")}</p>}
      {open.length > 0 && (
        <section aria-label={t("activitiesTab.open")}>
          <ul className="activity-list" data-list="open">
            {open.map((activity) => (
              <ActivityRow key={activity.id} activity={activity} onChanged={replace} />
            ))}
          </ul>
        </section>
      )}
      {done.length > 0 && (
        <section aria-label={t("activitiesTab.done")}>
          <h3 className="subhead">{t("activitiesTab.done")}</h3>
          <ul className="activity-list" data-list="done">
            {done.map((activity) => (
              <ActivityRow key={activity.id} activity={activity} onChanged={replace} />
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
