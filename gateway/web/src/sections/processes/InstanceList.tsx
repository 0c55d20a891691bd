// Instances, newest first, filtered by process, state and record.
import { useEffect, useId, useState } from "react";
import { ApiError, get } from "../../core/api";
import { Link, useSearchParams } from "../../core/router";
import { useT } from "../../i18n";
import { useItems } from "../admin/common";
import { ENTITY_OF, STATES, stateBadge, type Definition, type Instance } from "./api";

const RECORD_TYPES = ["lead", "account", "contact", "opportunity", "order", "invoice", "activity", "email"];

export function InstanceList() {
  const t = useT();
  const id = useId();
  const [params, setParams] = useSearchParams();
  const { items: definitions } = useItems<Definition>("/process-definitions");
  const [items, setItems] = useState<Instance[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const [recordId, setRecordId] = useState(params.get("record_id") ?? "");
  const filters = ["definition", "state", "record_type", "record_id"].map((name) => params.get(name) ?? "");
  const query = (cursor?: string) => {
    const q = new URLSearchParams({ limit: "50" });
    const [definition, state, recordType, record] = filters;
    if (definition) q.set("filter[definition_id]", definition);
    if (state) q.set("filter[state]", state);
    if (recordType) q.set("filter[record_type]", recordType);
    if (record) q.set("filter[record_id]", record);
    if (cursor) q.set("cursor", cursor);
    return `/process-instances?${q}`;
  };

  useEffect(() => {
    setItems(null);
    setFailed(false);
    get<{ items: Instance[]; next_cursor: string | null }>(query()).then(
      (body) => {
        setItems(body.items);
        setNext(body.next_cursor);
      },
      (caught) => !(caught instanceof ApiError && caught.status === 401) && setFailed(true),
    );
  }, [filters.join("|")]); // eslint-disable-line react-hooks/exhaustive-deps

  const more = () => {
    if (!next) return;
    get<{ items: Instance[]; next_cursor: string | null }>(query(next)).then((body) => {
      setItems((previous) => [...(previous ?? []), ...body.items]);
      setNext(body.next_cursor);
    });
  };

  const setFilter = (name: string, value: string) => {
    const nextParams = new URLSearchParams(params);
    if (value) nextParams.set(name, value);
    else nextParams.delete(name);
    setParams(nextParams);
  };

  return (
    <section className="card" aria-labelledby="instances-title">
      <h2 id="instances-title">{t("processes.instances")}</h2>
      <form
        className="instance-filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter("record_id", recordId.trim());
        }}
      >
        <div className="field">
          <label className="field-label" htmlFor={`${id}-filter-process`}>
            {t("processes.process")}
          </label>
          <select id={`${id}-filter-process`} value={filters[0]} onChange={(e) => setFilter("definition", e.target.value)}>
            <option value="">{t("processes.all")}</option>
            {definitions?.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-filter-state`}>
            {t("processes.stateLabel")}
          </label>
          <select id={`${id}-filter-state`} value={filters[1]} onChange={(e) => setFilter("state", e.target.value)}>
            <option value="">{t("processes.all")}</option>
            {STATES.map((state) => (
              <option key={state} value={state}>
                {t(`processes.state.${state}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-filter-record-type`}>
            {t("processes.recordTypeLabel")}
          </label>
          <select id={`${id}-filter-record-type`} value={filters[2]} onChange={(e) => setFilter("record_type", e.target.value)}>
            <option value="">{t("processes.all")}</option>
            {RECORD_TYPES.map((type) => (
              <option key={type} value={type}>
                {t(`processes.recordType.${type}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field grow">
          <label className="field-label" htmlFor={`${id}-filter-record-id`}>
            {t("processes.recordId")}
          </label>
          <input id={`${id}-filter-record-id`} value={recordId} onChange={(e) => setRecordId(e.target.value)} onBlur={() => setFilter("record_id", recordId.trim())} />
        </div>
      </form>
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {!items && !failed && <div className="loading" aria-busy="true" />}
      {items && items.length === 0 && <p className="muted empty-note">{t("processes.noInstances")}</p>}
      {items && items.length > 0 && (
        <table className="simple-table process-table">
          <thead>
            <tr>
              <th>{t("processes.process")}</th>
              <th>{t("processes.stateLabel")}</th>
              <th>{t("processes.whereItStands")}</th>
              <th>{t("processes.record")}</th>
              <th>{t("processes.started")}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr key={i.id} data-instance={i.id}>
                <td>
                  <Link to={`/processes/instances/${i.id}`}>{i.name}</Link>
                  <span className="muted small"> {t("processes.versionN", { n: i.version })}</span>
                </td>
                <td>
                  <span className={stateBadge(i.state)}>{t(`processes.state.${i.state}`)}</span>
                </td>
                <td className="small">{i.current.map((c) => c.name || c.element_id).join(", ")}</td>
                <td className="small">
                  {i.record_type && i.record_id && ENTITY_OF[i.record_type] ? (
                    <Link to={`/${ENTITY_OF[i.record_type]}/${i.record_id}`}>{t(`processes.recordType.${i.record_type}`)}</Link>
                  ) : (
                    i.record_type && t(`processes.recordType.${i.record_type}`)
                  )}
                </td>
                <td className="small">{t.dateTime(i.started_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <button type="button" className="button" onClick={more}>
          {t("processes.more")}
        </button>
      )}
    </section>
  );
}
