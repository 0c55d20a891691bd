// The generic record page: header with key fields and the stage bar, tabs (Details is
// built in; others come from the tab registry), editing with optimistic concurrency.
import { Suspense, useCallback, useEffect, useId, useMemo, useRef, useState, type FormEvent } from "react";
import { ApiError, ifMatch, request, versionOfEtag, type FieldError } from "../core/api";
import { loadEntities, may, type EntityMeta, type EntityRecord, type FieldMeta } from "../core/meta";
import rightsMessages from "../sections/admin/messages.rights";
import "./rights.css";
import "./record-computed.css";
import { TABS } from "../core/registry";
import { Link, navigate, setLeaveGuard, useSearchParams } from "../core/router";
import { addMessages, useT } from "../i18n";
import { ICONS, Icon } from "../shell/Icon";
import { DuplicatesDialog, type Candidate } from "./DuplicatesDialog";
import { FieldInput } from "./FieldInput";
import { OrderLinesView } from "./OrderLines";
import { StageBarView } from "./StageBar";
import { Value } from "./Value";
import type { EntityConfig } from "./config";

type Draft = Record<string, unknown>;

// the words of access rights (a field read-only for the user's roles)
addMessages(rightsMessages);

const SYSTEM_FIELDS = new Set(["id", "version", "created_at", "updated_at", "created_by"]);

/** The field an error names: `emails[1].email` → `emails`. */
export function baseField(name: string): string {
  return name.split(/[[.]/)[0];
}

/** Values a new record starts with, from the address: `/contacts/new?set.account_id=…`. */
function presets(params: URLSearchParams): Draft {
  const out: Draft = {};
  params.forEach((value, key) => {
    if (key.startsWith("set.") && value) out[key.slice(4)] = value;
  });
  return out;
}

/** Where a record's unsaved changes are kept across a reload of the tab. */
function draftKey(entity: string, id: string): string {
  return `osprey.draft.${entity}.${id}`;
}

function keepDraft(entity: string, id: string, draft: Draft | null, version: number | null): void {
  try {
    if (draft && Object.keys(draft).length) sessionStorage.setItem(draftKey(entity, id), JSON.stringify({ version, draft }));
    else sessionStorage.removeItem(draftKey(entity, id));
  } catch {
    // storage full or refused: the question before leaving still guards the changes
  }
}

/** Changes kept for this record at this version (a record changed since: none). */
function readKeptDraft(entity: string, id: string, version: number | null): Draft | null {
  try {
    const kept = JSON.parse(sessionStorage.getItem(draftKey(entity, id)) ?? "null") as { version: number | null; draft: Draft } | null;
    if (!kept || kept.version !== version || !kept.draft || typeof kept.draft !== "object") return null;
    return Object.keys(kept.draft).length ? kept.draft : null;
  } catch {
    return null;
  }
}

export function RecordPage({ config, id }: { config: EntityConfig; id: string }) {
  const t = useT();
  const isNew = id === "new";
  const [meta, setMeta] = useState<EntityMeta | null>(null);
  const [record, setRecord] = useState<EntityRecord | null>(null);
  const [version, setVersion] = useState<number | null>(null);
  const [missing, setMissing] = useState(false);
  const [draft, setDraft] = useState<Draft>({});
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [conflict, setConflict] = useState(false);
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [params, setParams] = useSearchParams();
  const [candidates, setCandidates] = useState<Candidate[] | null>(null);
  const formId = `record-form-${useId().replace(/:/g, "")}`;

  useEffect(() => {
    loadEntities().then((entities) => setMeta(entities[config.entity] ?? null), () => setProblem(t("error.unreachable")));
  }, [config.entity]); // eslint-disable-line react-hooks/exhaustive-deps

  const load = useCallback(async () => {
    if (isNew) return;
    try {
      const response = await request<EntityRecord>(`/${config.entity}/${encodeURIComponent(id)}`);
      const loadedVersion = versionOfEtag(response.etag) ?? (response.data.version as number | undefined) ?? null;
      setRecord(response.data);
      setVersion(loadedVersion);
      // changes kept from before a reload come back while the record has not moved on
      const kept = readKeptDraft(config.entity, id, loadedVersion);
      setDraft(kept ?? {});
      if (kept) setStatus(t("record.draftRestored"));
      setErrors([]);
      setConflict(false);
      setProblem(null);
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 422)) setMissing(true);
      else if (!(error instanceof ApiError && error.status === 401)) setProblem(t("error.loadFailed"));
    }
  }, [config.entity, id, isNew]); // eslint-disable-line react-hooks/exhaustive-deps

  // What a new record starts with: not yet the user's changes.
  const startingDraft = useRef<Draft>({});
  useEffect(() => {
    setRecord(null);
    setMissing(false);
    const start = isNew ? { ...(config.newDefaults?.() ?? {}), ...presets(params) } : {};
    startingDraft.current = start;
    const kept = isNew ? readKeptDraft(config.entity, id, null) : null;
    setDraft(kept ? { ...start, ...kept } : start);
    setStatus(kept ? t("record.draftRestored") : null);
    void load();
  }, [load]); // eslint-disable-line react-hooks/exhaustive-deps

  const onRecord = useCallback((next: EntityRecord, etag: string | null) => {
    setRecord(next);
    setVersion(versionOfEtag(etag) ?? (next.version as number | undefined) ?? null);
    setConflict(false);
  }, []);

  const fields = useMemo(() => new Map((meta?.fields ?? []).map((f) => [f.name, f])), [meta]);
  const current: Draft = { ...(record ?? {}), ...draft };
  const dirty = Object.keys(draft).length > 0;
  // the user's own changes (a new record's starting values are not theirs)
  const unsaved = isNew
    ? Object.keys(draft).some((name) => draft[name] !== startingDraft.current[name] && draft[name] !== "")
    : dirty;
  // kept only once what was kept before is read back (the record loaded, or a new one's
  // starting values set), so a reload does not wipe it first
  const settled = isNew ? draft !== startingDraft.current || Object.keys(draft).length > 0 : record !== null;
  useEffect(() => {
    setLeaveGuard(unsaved ? { message: t("record.leaveUnsaved") } : null);
    if (settled) keepDraft(config.entity, id, unsaved ? draft : null, version);
    return () => setLeaveGuard(null);
  }, [unsaved, draft, version, settled, config.entity, id]); // eslint-disable-line react-hooks/exhaustive-deps
  // leaving the page inside the app (after saying yes to losing the changes) forgets
  // them; only a reload or a closed tab keeps them for the next visit
  useEffect(() => () => keepDraft(config.entity, id, null, null), [config.entity, id]);

  const change = (name: string, value: unknown) => {
    setStatus(null);
    setDraft((d) => {
      const next = { ...d };
      const original = record?.[name] ?? (isNew ? undefined : null);
      const same = (value === "" || value === null) ? (original === null || original === undefined || original === "") : value === original;
      if (same) delete next[name];
      else next[name] = value;
      return next;
    });
    setErrors((list) => list.filter((e) => e.field !== name));
  };

  const fail = (error: unknown) => {
    if (!(error instanceof ApiError)) {
      setProblem(t("error.unreachable"));
      return;
    }
    if (error.status === 401) return;
    if (error.status === 409 && config.duplicates && isNew && Array.isArray(error.problem.candidates)) {
      setCandidates(error.problem.candidates as Candidate[]);
      return;
    }
    if (error.status === 409) {
      if (isNew) setProblem(error.message);
      else setConflict(true);
      return;
    }
    if (error.status === 422 || error.status === 400) {
      const known = error.errors.filter((e) => fields.has(baseField(e.field)));
      setErrors(known);
      const other = error.errors.filter((e) => !fields.has(baseField(e.field)));
      setProblem(other.length ? other.map((e) => e.message).join("; ") : known.length ? t("record.fixErrors") : error.message);
      return;
    }
    if (error.status === 403) setProblem(t("error.forbiddenChange"));
    else if (error.status === 404) setMissing(true);
    else setProblem(t("error.saveFailedRecord"));
  };

  const save = async (event?: FormEvent, allowDuplicates = false) => {
    event?.preventDefault();
    if (!dirty || busy) return;
    setBusy(true);
    setProblem(null);
    setErrors([]);
    setCandidates(null);
    try {
      if (isNew) {
        const body = Object.fromEntries(Object.entries(draft).filter(([, v]) => v !== "" && v !== null));
        const suffix = allowDuplicates ? "?allow_duplicates=true" : "";
        const response = await request<EntityRecord>(`/${config.entity}${suffix}`, { method: "POST", body });
        setLeaveGuard(null);
        keepDraft(config.entity, id, null, null);
        navigate(`${config.basePath}/${encodeURIComponent(response.data.id)}`, { replace: true });
      } else {
        const response = await request<EntityRecord>(`/${config.entity}/${encodeURIComponent(id)}`, {
          method: "PATCH",
          body: draft,
          headers: ifMatch(version),
        });
        setRecord(response.data);
        setVersion(versionOfEtag(response.etag) ?? (response.data.version as number | undefined) ?? null);
        setDraft({});
        setStatus(t("record.saved"));
      }
    } catch (error) {
      fail(error);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    try {
      await request(`/${config.entity}/${encodeURIComponent(id)}`, {
        method: "DELETE",
        headers: ifMatch(version),
      });
      setLeaveGuard(null);
      keepDraft(config.entity, id, null, null);
      navigate(config.basePath);
    } catch (error) {
      setConfirmDelete(false);
      fail(error);
    } finally {
      setBusy(false);
    }
  };

  if (missing) {
    return (
      <div className="empty-page">
        <h1>{t("record.missing")}</h1>
        <Link to={config.basePath}>{t("record.backToList", { list: t(config.titleKey) })}</Link>
      </div>
    );
  }
  if (!meta || (!isNew && !record)) {
    return problem ? <p className="empty-page form-error">{problem}</p> : <div className="loading" aria-busy="true" />;
  }

  const title = isNew ? t(config.newKey) : config.title(record as EntityRecord) || t("record.untitled");
  const tabs = isNew ? [] : TABS.filter((tab) => tab.appliesTo(config.entity));
  const tabId = params.get("tab") ?? "details";
  const activeTab = tabs.find((tab) => tab.id === tabId);
  const label = (f: FieldMeta) => t.field(config.entity, f.name, f.label);
  const errorsOf = (name: string) => errors.filter((e) => e.field === name).map((e) => e.message);
  const createOnly = new Set(config.createOnly ?? []);
  const shownInForm = (f: FieldMeta) =>
    !f.read_only && !(isNew && f.name === config.stageBar?.field) && !(!isNew && createOnly.has(f.name));
  const partProps = record ? { entity: config.entity, record, version, onRecord, reload: () => void load() } : null;

  const hidden = new Set(config.hiddenFields ?? []);
  const roleReadOnly = new Set(meta.permissions?.read_only ?? []);
  // the caller's roles may not change (create) this entity: the form is shown read-only
  const locked = (!isNew && !!record && !!config.readOnly?.(record)) || !may(meta, isNew ? "create" : "update");
  const grouped = new Set(config.groups.flatMap((g) => g.fields));
  const editable = meta.fields.filter((f) => !f.read_only && !SYSTEM_FIELDS.has(f.name) && !hidden.has(f.name));
  const rest = editable.filter((f) => !grouped.has(f.name)).map((f) => f.name);
  const groups = [...config.groups, ...(rest.length ? [{ titleKey: "record.group.other", fields: rest }] : [])];
  const computed = config.computedFields?.(current) ?? null;
  const computedSet = new Set(computed?.fields ?? []);

  return (
    <div className="page record-page" data-entity={config.entity}>
      <header className="record-head">
        <Link to={config.basePath} className="back-link">
          <Icon path={ICONS.back} size={16} />
          {t(config.titleKey)}
        </Link>
        <div className="record-title">
          <h1>{title}</h1>
          {config.TitlePart && partProps && <config.TitlePart {...partProps} />}
          <div className="actions">
            {status && (!dirty || status === t("record.draftRestored")) && (
              <span className="muted" role="status">
                {status}
              </span>
            )}
            {dirty && !isNew && (
              <button type="button" className="button ghost" onClick={() => { setDraft({}); setErrors([]); setProblem(null); setStatus(null); }}>
                {t("action.discard")}
              </button>
            )}
            {!isNew && !config.noDelete && may(meta, "delete") && (
              <button type="button" className="button danger-ghost" onClick={() => setConfirmDelete(true)} disabled={busy}>
                <Icon path={ICONS.trash} size={16} />
                {t("action.delete")}
              </button>
            )}
            {!locked && <button
              type="submit"
              form={formId}
              className="button primary"
              disabled={!dirty || busy}
              onClick={(e) => {
                // On another tab the form is not shown: save the edits all the same.
                if (!document.getElementById(formId)) {
                  e.preventDefault();
                  void save();
                }
              }}
            >
              {isNew ? t("action.create") : t("action.save")}
            </button>}
          </div>
        </div>
        {!isNew && record && (
          <dl className="key-fields">
            {config.headerFields.map((name) => {
              const field = fields.get(name);
              const value = record[name];
              return value !== null && value !== undefined && value !== "" ? (
                <div key={name} data-key-field={name}>
                  <dt>{field ? label(field) : name}</dt>
                  <dd>
                    <Value entity={config.entity} field={field} value={value} record={record} />
                  </dd>
                </div>
              ) : null;
            })}
          </dl>
        )}
        {config.StageBarPart && partProps && <config.StageBarPart {...partProps} />}
        {(!config.StageBarPart || isNew) && config.stageBar && fields.get(config.stageBar.field) && (
          <StageBarView entity={config.entity} bar={config.stageBar} value={String(current[config.stageBar.field] ?? config.stageBar.path[0])} />
        )}
      </header>
      {config.HintPart && partProps && <config.HintPart {...partProps} />}

      {candidates && (
        <DuplicatesDialog
          config={config}
          candidates={candidates}
          onCreateAnyway={() => void save(undefined, true)}
          onClose={() => setCandidates(null)}
        />
      )}

      {confirmDelete && (
        <div className="banner danger" role="alertdialog" aria-labelledby="confirm-delete">
          <span id="confirm-delete">{t("record.confirmDelete")}</span>
          <button type="button" className="button danger" onClick={() => void remove()} autoFocus>
            {t("action.delete")}
          </button>
          <button type="button" className="button ghost" onClick={() => setConfirmDelete(false)}>
            {t("action.cancel")}
          </button>
        </div>
      )}
      {conflict && (
        <div className="banner warning" role="alert">
          <span>{t("record.conflict")}</span>
          <button type="button" className="button" onClick={() => void load()}>
            {t("record.reload")}
          </button>
        </div>
      )}
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}

      {tabs.length > 0 && (
        <div className="tabs" role="tablist" aria-label={t("record.tabs")}>
          {[{ id: "details", labelKey: "tab.details" }, ...tabs].map((tab) => (
            <button
              key={tab.id}
              type="button"
              role="tab"
              aria-selected={(activeTab?.id ?? "details") === tab.id}
              className="tab"
              onClick={() => {
                const next = new URLSearchParams(params);
                if (tab.id === "details") next.delete("tab");
                else next.set("tab", tab.id);
                setParams(next);
              }}
            >
              {t(tab.labelKey)}
            </button>
          ))}
        </div>
      )}

      {activeTab ? (
        <div role="tabpanel" className="card">
          <Suspense fallback={<div className="loading" aria-busy="true" />}>
            <activeTab.component entity={config.entity} record={record as EntityRecord} reload={() => void load()} />
          </Suspense>
        </div>
      ) : (
        <form id={formId} role={tabs.length ? "tabpanel" : undefined} className="details" onSubmit={save} noValidate>
          {groups.map((group) => {
            // A new record starts at the first stage; the stage bar already says so.
            const members = group.fields.map((n) => fields.get(n)).filter((f): f is FieldMeta => !!f && shownInForm(f) && !hidden.has(f.name));
            if (!members.length) return null;
            if (locked && record) {
              // Read-only: only what is filled in, so a closed record reads at a glance.
              const filled = members.filter((f) => record[f.name] !== null && record[f.name] !== undefined && record[f.name] !== "" && !(Array.isArray(record[f.name]) && !(record[f.name] as unknown[]).length));
              if (!filled.length) return null;
              return (
                <fieldset key={group.titleKey} className="card field-group">
                  <legend>{t(group.titleKey)}</legend>
                  <ReadOnlyFields entity={config.entity} fields={filled} record={record} label={label} />
                </fieldset>
              );
            }
            return (
              <fieldset key={group.titleKey} className="card field-group">
                <legend>{t(group.titleKey)}</legend>
                <div className="field-grid">
                  {members.map((field) => {
                    if (computedSet.has(field.name) && computed) {
                      // computed by the server from elsewhere: shown, never typed over
                      return (
                        <div key={field.name} className="field computed" data-field={field.name} data-computed="true">
                          <span className="field-label">{label(field)}</span>
                          <output aria-label={label(field)}>
                            {current[field.name] === null || current[field.name] === undefined || current[field.name] === "" ? "—" : <Value entity={config.entity} field={field} value={current[field.name]} record={current as EntityRecord} />}
                          </output>
                          <small className="muted">{t(computed.noteKey)}</small>
                        </div>
                      );
                    }
                    const input = (
                      <FieldInput
                        key={field.name}
                        entity={config.entity}
                        field={field}
                        label={label(field)}
                        value={current[field.name]}
                        errors={errorsOf(field.name)}
                        fieldErrors={errors}
                        record={current}
                        onChange={(value) => change(field.name, value)}
                      />
                    );
                    const note = config.FieldNote ? <config.FieldNote name={field.name} record={record} values={current} change={change} /> : null;
                    // read-only for the user's roles: shown, never sent
                    if (note && !roleReadOnly.has(field.name)) {
                      return (
                        <div key={field.name} className="field-with-note">
                          {input}
                          {note}
                        </div>
                      );
                    }
                    return roleReadOnly.has(field.name) ? (
                      <fieldset key={field.name} className="role-read-only" disabled title={t("rights.readOnlyField")}>
                        {input}
                      </fieldset>
                    ) : (
                      input
                    );
                  })}
                </div>
              </fieldset>
            );
          })}
          {!isNew && record && (
            <fieldset className="card field-group system">
              <legend>{t("record.group.system")}</legend>
              <ReadOnlyFields
                entity={config.entity}
                fields={meta.fields.filter((f) => (f.read_only || SYSTEM_FIELDS.has(f.name)) && !hidden.has(f.name))}
                record={record}
                label={label}
              />
            </fieldset>
          )}
        </form>
      )}
    </div>
  );
}

function ReadOnlyFields({ entity, fields, record, label }: { entity: string; fields: FieldMeta[]; record: EntityRecord; label: (f: FieldMeta) => string }) {
  return (
    <dl className="field-grid readonly">
      {fields.map((field) => (
        <div key={field.name} className={`field${field.type === "list" ? " wide" : ""}`} data-field={field.name}>
          <dt className="field-label">{label(field)}</dt>
          <dd>
            {field.type === "list" && field.items === "order_line" ? (
              <OrderLinesView record={record} />
            ) : record[field.name] === null || record[field.name] === undefined || record[field.name] === "" ? (
              "—"
            ) : (
              <Value entity={entity} field={field} value={record[field.name]} record={record} />
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}
