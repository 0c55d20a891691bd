import { useState, type FormEvent } from "react";
import { useSearchParams } from "../core/router";
import { usePref } from "../core/session";
import { useT } from "../i18n";
import { canonical, type EntityConfig, type SavedView } from "./config";

/** Built-in and saved views: a name for a list's filters, search and sort. */
export function Views({ config }: { config: EntityConfig }) {
  const t = useT();
  const [params, setParams] = useSearchParams();
  const [saved = [], setSaved] = usePref<SavedView[]>(`views.${config.section}`);
  const [naming, setNaming] = useState(false);
  const [name, setName] = useState("");
  const here = canonical(params);
  const all = [
    ...config.views.map((v) => ({ id: v.id, label: t(v.labelKey), params: v.params, own: false })),
    ...(Array.isArray(saved) ? saved : []).map((v) => ({ id: v.id, label: v.name, params: v.params, own: true })),
  ];
  const current = all.find((v) => canonical(v.params) === here);

  const choose = (id: string) => {
    const view = all.find((v) => v.id === id);
    if (view) setParams(new URLSearchParams(view.params), false);
  };
  const save = (event: FormEvent) => {
    event.preventDefault();
    const label = name.trim();
    if (!label) return;
    const view: SavedView = { id: `v${Date.now().toString(36)}`, name: label, params: here };
    void setSaved([...(Array.isArray(saved) ? saved : []), view]);
    setNaming(false);
    setName("");
  };

  return (
    <div className="views">
      <label>
        <span className="visually-hidden">{t("views.label")}</span>
        <select value={current?.id ?? ""} onChange={(e) => choose(e.target.value)} className="view-select">
          {!current && <option value="">{t("views.custom")}</option>}
          {all.map((view) => (
            <option key={view.id} value={view.id}>
              {view.label}
            </option>
          ))}
        </select>
      </label>
      {naming ? (
        <form className="inline-form" onSubmit={save}>
          <label>
            <span className="visually-hidden">{t("views.name")}</span>
            <input autoFocus placeholder={t("views.name")} value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <button type="submit" className="button small">
            {t("action.save")}
          </button>
          <button type="button" className="button ghost small" onClick={() => setNaming(false)}>
            {t("action.cancel")}
          </button>
        </form>
      ) : current?.own ? (
        <button
          type="button"
          className="button ghost small"
          onClick={() => void setSaved(saved.filter((v) => v.id !== current.id))}
        >
          {t("views.delete")}
        </button>
      ) : (
        !current && (
          <button type="button" className="button ghost small" onClick={() => setNaming(true)}>
            {t("views.save")}
          </button>
        )
      )}
    </div>
  );
}
