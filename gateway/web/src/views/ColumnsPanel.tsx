import type { EntityMeta } from "../core/meta";
import { useT } from "../i18n";
import { ICONS, Icon } from "../shell/Icon";
import { clampWidth, moveColumn, type ColumnPref } from "./config";

interface Props {
  entity: EntityMeta;
  columns: ColumnPref[];
  defaults: ColumnPref[];
  onChange: (columns: ColumnPref[]) => void;
  onClose: () => void;
}

/** Choose, order and size the list's columns; every change is saved at once. */
export function ColumnsPanel({ entity, columns, defaults, onChange, onClose }: Props) {
  const t = useT();
  const shown = new Set(columns.map((c) => c.name));
  const hidden = entity.fields.filter((f) => !shown.has(f.name));
  const label = (name: string) =>
    t.field(entity.name, name, entity.fields.find((f) => f.name === name)?.label);

  return (
    <section className="columns-panel" aria-labelledby="columns-title">
      <div className="panel-head">
        <h2 id="columns-title">{t("columns.title")}</h2>
        <button type="button" className="button ghost small" onClick={() => onChange(defaults)}>
          {t("columns.reset")}
        </button>
        <button type="button" className="icon-button" onClick={onClose} aria-label={t("action.close")}>
          <Icon path={ICONS.close} size={16} />
        </button>
      </div>
      <ol className="column-list">
        {columns.map((column, index) => (
          <li key={column.name} className="column-item" data-column={column.name}>
            <label className="check">
              <input
                type="checkbox"
                checked
                disabled={columns.length === 1}
                onChange={() => onChange(columns.filter((c) => c.name !== column.name))}
              />
              {label(column.name)}
            </label>
            <label className="width">
              <span className="visually-hidden">{t("columns.width", { column: label(column.name) })}</span>
              <input
                type="number"
                min={60}
                max={800}
                step={10}
                value={column.width}
                onChange={(e) => {
                  const width = Number(e.target.value);
                  if (Number.isFinite(width) && width > 0)
                    onChange(columns.map((c) => (c.name === column.name ? { ...c, width: clampWidth(width) } : c)));
                }}
              />
              <span aria-hidden="true">px</span>
            </label>
            <button
              type="button"
              className="icon-button"
              disabled={index === 0}
              aria-label={t("columns.moveUp", { column: label(column.name) })}
              onClick={() => onChange(moveColumn(columns, column.name, -1))}
            >
              <Icon path={ICONS.up} size={16} />
            </button>
            <button
              type="button"
              className="icon-button"
              disabled={index === columns.length - 1}
              aria-label={t("columns.moveDown", { column: label(column.name) })}
              onClick={() => onChange(moveColumn(columns, column.name, 1))}
            >
              <Icon path={ICONS.down} size={16} />
            </button>
          </li>
        ))}
      </ol>
      {hidden.length > 0 && (
        <>
          <h3 className="subhead">{t("columns.more")}</h3>
          <ul className="column-more">
            {hidden.map((field) => (
              <li key={field.name} data-column={field.name}>
                <label className="check">
                  <input type="checkbox" checked={false} onChange={() => onChange([...columns, { name: field.name, width: 160 }])} />
                  {label(field.name)}
                </label>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
