// A list of audit entries: when, who, from where, and each field's old → new value
// with the field's label. Shared by the record's tab and the administrators' search.
import { useEffect, useState } from "react";
import { fieldMap, loadEntities, type EntityMeta, type FieldMeta } from "../../core/meta";
import { useT } from "../../i18n";
import { Value } from "../../views/Value";
import { AUDITED, type AuditEntry } from "./entities";

const PLURAL: Record<string, string> = Object.fromEntries(
  Object.entries(AUDITED).map(([plural, single]) => [single, plural]),
);

function Shown({ entity, field, value }: { entity: string; field: FieldMeta | undefined; value: unknown }) {
  if (value === null || value === undefined || value === "") return <span className="muted">—</span>;
  if (!field && typeof value === "object") return <code>{JSON.stringify(value)}</code>;
  return <Value entity={entity} field={field} value={value} />;
}

export function AuditEntries({ items, showRecord = false }: { items: AuditEntry[]; showRecord?: boolean }) {
  const t = useT();
  const [entities, setEntities] = useState<Record<string, EntityMeta> | null>(null);
  useEffect(() => {
    loadEntities().then(setEntities, () => setEntities({}));
  }, []);
  return (
    <ol className="audit-entries">
      {items.map((entry) => {
        const entity = PLURAL[entry.entity] ?? entry.entity;
        const meta = entities?.[entity];
        const fields = meta ? fieldMap(meta) : new Map<string, FieldMeta>();
        const names = Object.keys(entry.changes);
        return (
          <li key={entry.id} className="audit-entry" data-action={entry.action} data-source={entry.source}>
            <div className="audit-entry-head">
              <time dateTime={entry.at}>{t.dateTime(entry.at)}</time>{" "}
              <strong>{t(`audit.action.${entry.action}`)}</strong>{" "}
              {showRecord ? (
                <span className="audit-record">
                  {meta?.label_singular ?? entry.entity} {entry.record_id.slice(0, 8)}{" "}
                </span>
              ) : null}
              <span className="audit-who">{entry.actor?.email ?? t("audit.system")}</span>{" "}
              <span className="badge audit-source">{t(`audit.source.${entry.source}`)}</span>
            </div>
            {names.length ? (
              <table className="simple-table audit-changes">
                <thead>
                  <tr>
                    <th scope="col">{t("audit.field")}</th>
                    <th scope="col">{t("audit.old")}</th>
                    <th scope="col">{t("audit.new")}</th>
                  </tr>
                </thead>
                <tbody>
                  {names.map((name) => {
                    const field = fields.get(name);
                    const [before, after] = entry.changes[name];
                    return (
                      <tr key={name} data-field={name}>
                        <th scope="row">{t.field(entity, name, field?.label ?? name)}</th>
                        <td className="audit-old">
                          {entry.old_known || entry.action === "created" ? (
                            <Shown entity={entity} field={field} value={before} />
                          ) : (
                            <span className="muted">{t("audit.unknown")}</span>
                          )}
                        </td>
                        <td className="audit-new">
                          <Shown entity={entity} field={field} value={after} />
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}
