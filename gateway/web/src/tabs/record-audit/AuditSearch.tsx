// Administration → Audit trail: search every change (`GET /audit`) by record kind,
// record, author, field and time, newest first, a page at a time.
import { useCallback, useEffect, useState } from "react";
import { ApiError, get } from "../../core/api";
import { useT } from "../../i18n";
import { AuditEntries } from "./AuditEntries";
import type { AuditEntry, AuditPage } from "./entities";

const ENTITIES = ["lead", "account", "contact", "opportunity", "activity", "product", "order", "invoice", "user", "team", "role"];

interface User {
  id: string;
  email: string;
  full_name: string;
}

interface Filters {
  entity: string;
  record_id: string;
  actor_id: string;
  field: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { entity: "", record_id: "", actor_id: "", field: "", from: "", to: "" };

function queryOf(filters: Filters, cursor: string | null): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) {
    if (!value.trim()) continue;
    // dates from the form are days: the whole "to" day is included
    if (name === "from") params.set(name, `${value}T00:00:00Z`);
    else if (name === "to") params.set(name, new Date(Date.parse(`${value}T00:00:00Z`) + 86_400_000).toISOString());
    else params.set(name, value.trim());
  }
  if (cursor) params.set("cursor", cursor);
  return params.toString();
}

export function AuditSearch() {
  const t = useT();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [items, setItems] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [users, setUsers] = useState<User[]>([]);

  useEffect(() => {
    get<{ items: User[] }>("/users?limit=500").then((body) => setUsers(body.items ?? []), () => setUsers([]));
  }, []);

  const load = useCallback(
    (cursor: string | null) => {
      const query = queryOf(filters, cursor);
      get<AuditPage>(`/audit${query ? `?${query}` : ""}`).then(
        (page) => {
          setError(null);
          setItems((before) => (cursor && before ? [...before, ...page.items] : page.items));
          setNext(page.next_cursor);
        },
        (failure) => {
          if (failure instanceof ApiError && failure.status === 401) return;
          const detail = failure instanceof ApiError ? failure.errors.map((e) => `${e.field}: ${e.message}`).join("; ") : "";
          setError(detail || t("error.loadFailed"));
          setItems([]);
        },
      );
    },
    [filters, t],
  );
  useEffect(() => load(null), [load]);

  const set = (name: keyof Filters) => (event: { target: { value: string } }) =>
    setDraft((before) => ({ ...before, [name]: event.target.value }));

  return (
    <section className="audit-search">
      <h2>{t("admin.audit")}</h2>
      <form
        className="toolbar audit-filters"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          setFilters(draft);
        }}
      >
        <label className="field inline">
          <span className="field-label">{t("audit.filter.entity")}</span>
          <select value={draft.entity} onChange={set("entity")}>
            <option value="">{t("audit.filter.any")}</option>
            {ENTITIES.map((name) => (
              <option key={name} value={name}>
                {t(`audit.entity.${name}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span className="field-label">{t("audit.filter.record")}</span>
          <input value={draft.record_id} onChange={set("record_id")} placeholder="00000000-…" />
        </label>
        <label className="field inline">
          <span className="field-label">{t("audit.filter.actor")}</span>
          <select value={draft.actor_id} onChange={set("actor_id")}>
            <option value="">{t("audit.filter.any")}</option>
            {users.map((user) => (
              <option key={user.id} value={user.id}>
                {user.full_name || user.email}
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span className="field-label">{t("audit.filter.field")}</span>
          <input value={draft.field} onChange={set("field")} placeholder="owner_id" />
        </label>
        <label className="field inline">
          <span className="field-label">{t("audit.filter.from")}</span>
          <input type="date" value={draft.from} onChange={set("from")} />
        </label>
        <label className="field inline">
          <span className="field-label">{t("audit.filter.to")}</span>
          <input type="date" value={draft.to} onChange={set("to")} />
        </label>
        <button type="submit" className="button primary">
          {t("audit.filter.search")}
        </button>
      </form>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {items === null ? (
        <div className="loading" aria-busy="true" />
      ) : items.length ? (
        <>
          <AuditEntries items={items} showRecord />
          {next ? (
            <button type="button" className="button" onClick={() => load(next)}>
              {t("audit.more")}
            </button>
          ) : null}
        </>
      ) : error ? null : (
        <p className="muted empty-note">{t("audit.none")}</p>
      )}
    </section>
  );
}
