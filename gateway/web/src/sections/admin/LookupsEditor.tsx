// The leads' lookup lists: disqualification reasons, sources and channels. A code is what
// leads store and never changes; the name is what people read. An entry in use can only
// be switched off.
import { useState } from "react";
import { ifMatch, request } from "../../core/api";
import { Link } from "../../core/router";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { LOOKUP_KINDS, forgetLookup, type LookupEntry, type LookupKind } from "../../core/lookups";
import { Problem, useItems, useProblemText } from "./common";

/** A code from a name: "Too small!" → "too_small". */
export function codeOf(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 100);
}

export function LookupsEditor({ kind: given }: { kind?: string }) {
  const t = useT();
  const kind: LookupKind = LOOKUP_KINDS.includes(given as LookupKind) ? (given as LookupKind) : "disqualification-reasons";
  return (
    <section className="card" aria-labelledby="lookups-title">
      <div className="page-head">
        <h2 id="lookups-title" className="grow">
          {t("admin.lookups")}
        </h2>
        <nav className="segmented-links" aria-label={t("admin.lookups")}>
          {LOOKUP_KINDS.map((k) => (
            <Link key={k} to={`/admin/lookups/${k}`} aria-current={k === kind ? "page" : undefined}>
              {t(`lookups.kind.${k}`)}
            </Link>
          ))}
        </nav>
      </div>
      <LookupList key={kind} kind={kind} />
    </section>
  );
}

function LookupList({ kind }: { kind: LookupKind }) {
  const t = useT();
  const explain = useProblemText();
  const { items, failed, reload } = useItems<LookupEntry>(`/lookups/${kind}`);
  const [names, setNames] = useState<Record<string, string>>({});
  const [newName, setNewName] = useState("");
  const [newCode, setNewCode] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const entries = [...(items ?? [])].sort((a, b) => a.position - b.position);

  const act = async (work: () => Promise<unknown>, done?: string) => {
    setBusy(true);
    setProblem(null);
    setStatus(null);
    try {
      await work();
      if (done) setStatus(done);
      forgetLookup(kind);
      return true;
    } catch (error) {
      setProblem(explain(error));
      return false;
    } finally {
      setBusy(false);
      reload();
    }
  };
  const patch = (entry: LookupEntry, body: Record<string, unknown>) =>
    request<LookupEntry>(`/lookups/${kind}/${entry.id}`, { method: "PATCH", body, headers: ifMatch(entry.version) });
  const swap = (a: LookupEntry, b: LookupEntry) =>
    act(async () => {
      await patch(a, { position: b.position });
      await patch(b, { position: a.position });
    });

  return (
    <>
      <p className="muted small">{t(`lookups.intro.${kind}`)}</p>
      <Problem text={problem} />
      {status && (
        <p className="muted small" role="status">
          {status}
        </p>
      )}
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {!items && !failed && <div className="loading" aria-busy="true" />}
      {items && (
        <table className="simple-table" aria-label={t(`lookups.kind.${kind}`)}>
          <thead>
            <tr>
              <th>{t("lookups.name")}</th>
              <th>{t("lookups.code")}</th>
              <th>{t("rules.active")}</th>
              <th>
                <span className="visually-hidden">{t("rules.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry, index) => {
              const name = names[entry.id] ?? entry.name;
              const changed = name.trim() !== entry.name && name.trim() !== "";
              return (
                <tr key={entry.id} className={entry.is_active ? undefined : "admin-row-off"} data-code={entry.code}>
                  <td>
                    <form
                      className="inline-fields"
                      onSubmit={(e) => {
                        e.preventDefault();
                        if (changed)
                          void act(() => patch(entry, { name: name.trim() }), t("lookups.saved")).then(() =>
                            setNames((all) => {
                              const next = { ...all };
                              delete next[entry.id];
                              return next;
                            }),
                          );
                      }}
                    >
                      <input aria-label={t("lookups.nameOf", { code: entry.code })} value={name} maxLength={200} onChange={(e) => setNames({ ...names, [entry.id]: e.target.value })} />
                      {changed && (
                        <button type="submit" className="button small primary" disabled={busy}>
                          {t("action.save")}
                        </button>
                      )}
                    </form>
                  </td>
                  <td>
                    <code>{entry.code}</code>
                  </td>
                  <td>
                    <input
                      type="checkbox"
                      checked={entry.is_active}
                      disabled={busy}
                      aria-label={t("rules.activeOf", { name: entry.name })}
                      onChange={(e) => void act(() => patch(entry, { is_active: e.target.checked }))}
                    />
                  </td>
                  <td className="row-actions">
                    <button type="button" className="icon-button" disabled={busy || index === 0} aria-label={t("rules.up", { name: entry.name })} onClick={() => void swap(entry, entries[index - 1])}>
                      <Icon path={ICONS.up} size={16} />
                    </button>
                    <button type="button" className="icon-button" disabled={busy || index === entries.length - 1} aria-label={t("rules.down", { name: entry.name })} onClick={() => void swap(entry, entries[index + 1])}>
                      <Icon path={ICONS.down} size={16} />
                    </button>
                    <button
                      type="button"
                      className="icon-button"
                      disabled={busy}
                      aria-label={t("admin.deleteNamed", { name: entry.name })}
                      onClick={() => window.confirm(t("admin.confirmDelete", { name: entry.name })) && void act(() => request(`/lookups/${kind}/${entry.id}`, { method: "DELETE", headers: ifMatch(entry.version) }))}
                    >
                      <Icon path={ICONS.trash} size={16} />
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <form
        className="inline-fields add-entry"
        aria-label={t("lookups.add")}
        onSubmit={(e) => {
          e.preventDefault();
          const code = newCode ?? codeOf(newName);
          if (!newName.trim() || !code) return;
          void act(() => request(`/lookups/${kind}`, { method: "POST", body: { name: newName.trim(), code } }), t("lookups.added")).then((ok) => {
            if (ok) {
              setNewName("");
              setNewCode(null);
            }
          });
        }}
      >
        <label className="field grow">
          <span className="field-label">{t("lookups.newName")}</span>
          <input value={newName} maxLength={200} onChange={(e) => setNewName(e.target.value)} />
        </label>
        <label className="field">
          <span className="field-label">{t("lookups.code")}</span>
          <input value={newCode ?? codeOf(newName)} maxLength={100} pattern="[a-z0-9][a-z0-9_]*" onChange={(e) => setNewCode(e.target.value)} />
        </label>
        <button type="submit" className="button" disabled={busy || !newName.trim()}>
          <Icon path={ICONS.plus} size={16} />
          {t("lookups.add")}
        </button>
      </form>
    </>
  );
}
