// A role's access rights (administrators): per section the operations its holders may
// do, the records they read and change, and the fields hidden from them or read-only
// for them — GET/PUT /roles/{id}/rights. The server checks everything again and names
// what it refuses (`leads.write_scope`), shown beside the section.
import { Fragment, useEffect, useId, useMemo, useState } from "react";
import { ApiError, get, request } from "../../core/api";
import { loadEntities, type EntityMeta } from "../../core/meta";
import { addMessages, useT } from "../../i18n";
import { problemText } from "../../views/Dialog";
import rightsMessages from "./messages.rights";
import "./role-rights.css";

addMessages(rightsMessages);

export const ENTITIES = ["leads", "accounts", "contacts", "opportunities", "activities", "products", "orders", "invoices"] as const;
const OPERATIONS = ["create", "read", "update", "delete", "export"] as const;
const SCOPES = ["own", "team", "all"] as const;
/** fields no role may hide (the server refuses them) */
const PROTECTED = new Set(["id", "version"]);

type Operation = (typeof OPERATIONS)[number];
type Scope = (typeof SCOPES)[number];
type ColumnAccess = "editable" | "read_only" | "hidden";

export interface EntityRights {
  create: boolean;
  read: boolean;
  update: boolean;
  delete: boolean;
  export: boolean;
  read_scope: Scope;
  write_scope: Scope;
  hidden: string[];
  read_only: string[];
}

interface RoleRightsBody {
  role_id: string;
  role_name: string;
  rights: Record<string, EntityRights>;
}

export function RoleRights({ roleId }: { roleId: string }) {
  const t = useT();
  const id = useId();
  const [saved, setSaved] = useState<Record<string, EntityRights> | null>(null);
  const [draft, setDraft] = useState<Record<string, EntityRights> | null>(null);
  const [entities, setEntities] = useState<Record<string, EntityMeta> | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<{ field: string; message: string }[]>([]);
  const [status, setStatus] = useState<string | null>(null);

  useEffect(() => {
    // an answer for a role no longer shown (the list moved on while it was asked) is
    // dropped: it must never land in another role's form and be saved there
    let current = true;
    setSaved(null);
    setDraft(null);
    setOpen(null);
    setStatus(null);
    setProblem(null);
    setFieldErrors([]);
    get<RoleRightsBody>(`/roles/${roleId}/rights`).then(
      (body) => {
        if (!current) return;
        setSaved(body.rights);
        setDraft(body.rights);
        setFailed(false);
      },
      () => {
        if (current) setFailed(true);
      },
    );
    return () => {
      current = false;
    };
  }, [roleId]);
  useEffect(() => {
    loadEntities().then(setEntities, () => setEntities({}));
  }, []);

  const dirty = useMemo(() => JSON.stringify(saved) !== JSON.stringify(draft), [saved, draft]);

  if (failed) return <p className="form-error">{t("rights.loadFailed")}</p>;
  if (!draft) return <div className="loading" aria-busy="true" />;

  const entityLabel = (entity: string) => t(`perm.${entity}.read`);
  const change = (entity: string, next: Partial<EntityRights>) => {
    setStatus(null);
    setDraft((current) => {
      if (!current) return current;
      const merged = { ...current[entity], ...next };
      if (!merged.read) {
        // nothing but reading makes sense without reading
        for (const op of OPERATIONS) merged[op] = false;
      }
      // a record changed must be readable: the write scope never exceeds the read scope
      if (SCOPES.indexOf(merged.write_scope) > SCOPES.indexOf(merged.read_scope)) merged.write_scope = merged.read_scope;
      return { ...current, [entity]: merged };
    });
  };
  const columnAccess = (rights: EntityRights, field: string): ColumnAccess =>
    rights.hidden.includes(field) ? "hidden" : rights.read_only.includes(field) ? "read_only" : "editable";
  const setColumn = (entity: string, field: string, access: ColumnAccess) => {
    const rights = draft[entity];
    const hidden = rights.hidden.filter((f) => f !== field);
    const readOnly = rights.read_only.filter((f) => f !== field);
    if (access === "hidden") hidden.push(field);
    if (access === "read_only") readOnly.push(field);
    change(entity, { hidden: hidden.sort(), read_only: readOnly.sort() });
  };
  const errorsOf = (entity: string) => fieldErrors.filter((e) => e.field === entity || e.field.startsWith(`${entity}.`));

  async function save() {
    if (!draft) return;
    setBusy(true);
    setProblem(null);
    setFieldErrors([]);
    try {
      const { data } = await request<RoleRightsBody>(`/roles/${roleId}/rights`, { method: "PUT", body: draft });
      setSaved(data.rights);
      setDraft(data.rights);
      setStatus(t("rights.saved"));
    } catch (error) {
      if (error instanceof ApiError) setFieldErrors(error.errors);
      setProblem(problemText(error, t("error.saveFailedRecord")));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="role-rights" aria-labelledby={`${id}-title`}>
      <div className="page-head">
        <h3 id={`${id}-title`} className="grow">
          {t("rights.title")}
        </h3>
        {status && (
          <span className="muted small" role="status">
            {status}
          </span>
        )}
        {dirty && (
          <button type="button" className="button ghost" onClick={() => { setDraft(saved); setFieldErrors([]); setProblem(null); }}>
            {t("action.discard")}
          </button>
        )}
        <button type="button" className="button primary" disabled={!dirty || busy} onClick={() => void save()}>
          {t("rights.save")}
        </button>
      </div>
      <p className="muted small">{t("rights.intro")}</p>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      <div className="rights-scroll">
        <table className="rights-matrix">
          <colgroup>
            <col className="entity" />
            {OPERATIONS.map((op) => (
              <col key={op} className="op" />
            ))}
            <col className="scope" />
            <col className="scope" />
            <col className="fields" />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">{t("rights.entity")}</th>
              {OPERATIONS.map((op) => (
                <th key={op} scope="col" className="op">
                  {t(`rights.op.${op}`)}
                </th>
              ))}
              <th scope="col">{t("rights.readScope")}</th>
              <th scope="col">{t("rights.writeScope")}</th>
              <th scope="col">{t("rights.columns")}</th>
            </tr>
          </thead>
          <tbody>
            {ENTITIES.map((entity) => {
              const rights = draft[entity];
              if (!rights) return null;
              const limited = rights.hidden.length + rights.read_only.length;
              const errors = errorsOf(entity);
              const fields = (entities?.[entity]?.fields ?? []).filter((f) => !PROTECTED.has(f.name));
              return (
                <Fragment key={entity}>
                  <tr data-entity={entity} className={errors.length ? "invalid" : undefined}>
                    <th scope="row">{entityLabel(entity)}</th>
                    {OPERATIONS.map((op: Operation) => (
                      <td key={op} className="op">
                        <input
                          type="checkbox"
                          name={`${entity}.${op}`}
                          aria-label={`${entityLabel(entity)}: ${t(`rights.op.${op}`)}`}
                          checked={rights[op]}
                          disabled={op !== "read" && !rights.read}
                          title={op !== "read" && !rights.read ? t("rights.noRead") : undefined}
                          onChange={(e) => change(entity, { [op]: e.target.checked })}
                        />
                      </td>
                    ))}
                    {(["read_scope", "write_scope"] as const).map((key) => (
                      <td key={key}>
                        <select
                          name={`${entity}.${key}`}
                          aria-label={`${entityLabel(entity)}: ${t(key === "read_scope" ? "rights.readScope" : "rights.writeScope")}`}
                          value={rights[key]}
                          disabled={!rights.read}
                          onChange={(e) => change(entity, { [key]: e.target.value as Scope })}
                        >
                          {SCOPES.map((scope) => (
                            <option
                              key={scope}
                              value={scope}
                              disabled={key === "write_scope" && SCOPES.indexOf(scope) > SCOPES.indexOf(rights.read_scope)}
                            >
                              {t(`rights.scope.${scope}`)}
                            </option>
                          ))}
                        </select>
                      </td>
                    ))}
                    <td>
                      <button
                        type="button"
                        className={open === entity ? "button small toggled" : "button small"}
                        aria-expanded={open === entity}
                        aria-controls={`${id}-${entity}-columns`}
                        onClick={() => setOpen(open === entity ? null : entity)}
                      >
                        {limited ? t("rights.columnsCount", { count: limited }) : t("rights.columns")}
                      </button>
                    </td>
                  </tr>
                  {errors.length > 0 && (
                    <tr className="rights-errors">
                      <td colSpan={9} className="field-error">
                        {errors.map((e) => e.message).join(" ")}
                      </td>
                    </tr>
                  )}
                  {open === entity && (
                    <tr className="rights-columns" id={`${id}-${entity}-columns`}>
                      <td colSpan={9}>
                        <fieldset>
                          <legend>{t("rights.columnsOf", { entity: entityLabel(entity) })}</legend>
                          <div className="column-grid">
                            {fields.map((field) => (
                              <label key={field.name} className="column-right" data-field={field.name}>
                                <span>{t.field(entity, field.name, field.label)}</span>
                                <select
                                  name={`${entity}.column.${field.name}`}
                                  value={columnAccess(rights, field.name)}
                                  onChange={(e) => setColumn(entity, field.name, e.target.value as ColumnAccess)}
                                >
                                  {(["editable", "read_only", "hidden"] as const).map((access) => (
                                    <option key={access} value={access}>
                                      {t(`rights.column.${access}`)}
                                    </option>
                                  ))}
                                </select>
                              </label>
                            ))}
                          </div>
                        </fieldset>
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
