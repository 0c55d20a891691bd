// Distribution rules: tried in order, the first active one whose conditions the lead
// meets chooses its owner (in turn, the one with the fewest open leads, or always the same).
import { useId, useState } from "react";
import { ifMatch, request } from "../../core/api";
import { useWholeList } from "../../core/lookup";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { LookupPicker } from "../../views/LookupPicker";
import { LookupValue } from "../../views/Value";
import { lookupName, useLookup } from "../../core/lookups";
import { Problem, useItems, useProblemText } from "./common";

interface Rule {
  id: string;
  name: string;
  position: number;
  is_active: boolean;
  need_type: string | null;
  source: string | null;
  region: string | null;
  team_id: string | null;
  strategy: string;
  owner_ids: string[];
  fixed_owner_id: string | null;
  version: number;
}

const STRATEGIES = ["round_robin", "least_open", "fixed_owner"];

export function DistributionRules() {
  const t = useT();
  const explain = useProblemText();
  const { items, failed, reload } = useItems<Rule>("/distribution-rules");
  const sources = useLookup("lead-sources");
  const teams = useWholeList("teams");
  const [editing, setEditing] = useState<Rule | "new" | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const rules = [...(items ?? [])].sort((a, b) => a.position - b.position);

  const patch = async (rule: Rule, changes: Partial<Rule>) => {
    const response = await request<Rule>(`/distribution-rules/${rule.id}`, { method: "PATCH", body: changes, headers: ifMatch(rule.version) });
    return response.data;
  };
  const act = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setProblem(null);
    try {
      await work();
    } catch (error) {
      setProblem(explain(error));
    } finally {
      setBusy(false);
      reload();
    }
  };
  /** Swap two rules' places (through a free position: each place is taken by one rule). */
  const swap = (a: Rule, b: Rule) =>
    act(async () => {
      const free = Math.max(...rules.map((r) => r.position)) + 1;
      const moved = await patch(a, { position: free });
      const other = await patch(b, { position: a.position });
      await patch(moved, { position: b.position });
      return other;
    });

  const conditions = (rule: Rule) => {
    const parts: string[] = [];
    if (rule.need_type) parts.push(t("rules.cond.need", { value: rule.need_type }));
    if (rule.source) parts.push(t("rules.cond.source", { value: lookupName(sources, rule.source) }));
    if (rule.region) parts.push(t("rules.cond.region", { value: rule.region }));
    if (rule.team_id) parts.push(t("rules.cond.team", { value: teams.find((x) => x.id === rule.team_id)?.name ?? rule.team_id.slice(0, 8) }));
    return parts.length ? parts.join(" · ") : t("rules.cond.any");
  };

  return (
    <section className="card" aria-labelledby="rules-title">
      <div className="page-head">
        <h2 id="rules-title" className="grow">
          {t("admin.distribution")}
        </h2>
        {editing === null && (
          <button type="button" className="button primary" onClick={() => setEditing("new")}>
            <Icon path={ICONS.plus} size={16} />
            {t("rules.new")}
          </button>
        )}
      </div>
      <p className="muted small">{t("rules.intro")}</p>
      <Problem text={problem} />
      {editing !== null && (
        <RuleForm
          rule={editing === "new" ? null : editing}
          onDone={() => {
            setEditing(null);
            reload();
          }}
          onCancel={() => setEditing(null)}
        />
      )}
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {!items && !failed && <div className="loading" aria-busy="true" />}
      {items && rules.length === 0 && <p className="muted empty-note">{t("rules.none")}</p>}
      {rules.length > 0 && (
        <table className="simple-table" aria-label={t("admin.distribution")}>
          <thead>
            <tr>
              <th>#</th>
              <th>{t("rules.name")}</th>
              <th>{t("rules.when")}</th>
              <th>{t("rules.strategy")}</th>
              <th>{t("rules.active")}</th>
              <th>
                <span className="visually-hidden">{t("rules.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rules.map((rule, index) => (
              <tr key={rule.id} className={rule.is_active ? undefined : "admin-row-off"} data-rule={rule.name}>
                <td>{index + 1}</td>
                <td>{rule.name}</td>
                <td>{conditions(rule)}</td>
                <td>
                  {t(`rules.strategy.${rule.strategy}`)}
                  <div className="muted small">
                    {rule.strategy === "fixed_owner" && rule.fixed_owner_id ? (
                      <LookupValue lookup="users" id={rule.fixed_owner_id} link={false} />
                    ) : (
                      rule.owner_ids.map((id, i) => (
                        <span key={id}>
                          {i > 0 && ", "}
                          <LookupValue lookup="users" id={id} link={false} />
                        </span>
                      ))
                    )}
                  </div>
                </td>
                <td>
                  <input
                    type="checkbox"
                    checked={rule.is_active}
                    disabled={busy}
                    aria-label={t("rules.activeOf", { name: rule.name })}
                    onChange={(e) => void act(() => patch(rule, { is_active: e.target.checked }))}
                  />
                </td>
                <td className="row-actions">
                  <button type="button" className="icon-button" disabled={busy || index === 0} aria-label={t("rules.up", { name: rule.name })} onClick={() => void swap(rule, rules[index - 1])}>
                    <Icon path={ICONS.up} size={16} />
                  </button>
                  <button type="button" className="icon-button" disabled={busy || index === rules.length - 1} aria-label={t("rules.down", { name: rule.name })} onClick={() => void swap(rule, rules[index + 1])}>
                    <Icon path={ICONS.down} size={16} />
                  </button>
                  <button type="button" className="button small ghost" onClick={() => setEditing(rule)}>
                    {t("admin.edit")}
                  </button>
                  <button
                    type="button"
                    className="icon-button"
                    disabled={busy}
                    aria-label={t("admin.deleteNamed", { name: rule.name })}
                    onClick={() => window.confirm(t("admin.confirmDelete", { name: rule.name })) && void act(() => request(`/distribution-rules/${rule.id}`, { method: "DELETE", headers: ifMatch(rule.version) }))}
                  >
                    <Icon path={ICONS.trash} size={16} />
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function RuleForm({ rule, onDone, onCancel }: { rule: Rule | null; onDone: () => void; onCancel: () => void }) {
  const t = useT();
  const id = useId();
  const explain = useProblemText();
  const sources = useLookup("lead-sources");
  const needs = useLookup("need-types");
  const teams = useWholeList("teams");
  const [name, setName] = useState(rule?.name ?? "");
  const [needType, setNeedType] = useState(rule?.need_type ?? "");
  const [source, setSource] = useState(rule?.source ?? "");
  const [region, setRegion] = useState(rule?.region ?? "");
  const [teamId, setTeamId] = useState(rule?.team_id ?? "");
  const [strategy, setStrategy] = useState(rule?.strategy ?? "round_robin");
  const [owners, setOwners] = useState<string[]>(rule?.owner_ids ?? []);
  const [fixedOwner, setFixedOwner] = useState<string | null>(rule?.fixed_owner_id ?? null);
  const [active, setActive] = useState(rule?.is_active ?? true);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async () => {
    setBusy(true);
    setProblem(null);
    const body: Record<string, unknown> = {
      name: name.trim(),
      need_type: needType.trim() || null,
      source: source || null,
      region: region.trim() || null,
      team_id: teamId || null,
      strategy,
      owner_ids: strategy === "fixed_owner" ? [] : owners,
      fixed_owner_id: strategy === "fixed_owner" ? fixedOwner : null,
      is_active: active,
    };
    try {
      if (rule) await request(`/distribution-rules/${rule.id}`, { method: "PATCH", body, headers: ifMatch(rule.version) });
      else await request("/distribution-rules", { method: "POST", body });
      onDone();
    } catch (error) {
      setProblem(explain(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="card admin-form"
      aria-label={rule ? t("rules.editTitle") : t("rules.new")}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <Problem text={problem} />
      <div className="field-grid">
        <label className="field">
          <span className="field-label">{t("rules.name")}</span>
          <input value={name} required maxLength={200} autoFocus onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="field">
          <span className="field-label">{t("rules.strategy")}</span>
          <select value={strategy} onChange={(e) => setStrategy(e.target.value)}>
            {STRATEGIES.map((s) => (
              <option key={s} value={s}>
                {t(`rules.strategy.${s}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <fieldset className="dialog-group">
        <legend>{t("rules.conditions")}</legend>
        <div className="field-grid compact">
          <label className="field">
            <span className="field-label">{t("entity.leads.field.need_type")}</span>
            <select value={needType} onChange={(e) => setNeedType(e.target.value)}>
              <option value="">{t("rules.anyValue")}</option>
              {needType && !(needs ?? []).some((n) => n.code === needType) && <option value={needType}>{needType}</option>}
              {(needs ?? [])
                .filter((n) => n.is_active || n.code === needType)
                .map((n) => (
                  <option key={n.id} value={n.code}>
                    {n.name}
                  </option>
                ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">{t("entity.leads.field.source")}</span>
            <select value={source} onChange={(e) => setSource(e.target.value)}>
              <option value="">{t("rules.anyValue")}</option>
              {(sources ?? []).map((s) => (
                <option key={s.id} value={s.code}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">{t("entity.leads.field.region")}</span>
            <input value={region} maxLength={100} placeholder={t("rules.anyValue")} onChange={(e) => setRegion(e.target.value)} />
          </label>
          <label className="field">
            <span className="field-label">{t("entity.leads.field.team_id")}</span>
            <select value={teamId} onChange={(e) => setTeamId(e.target.value)}>
              <option value="">{t("rules.anyValue")}</option>
              {teams.map((team) => (
                <option key={team.id} value={team.id}>
                  {team.name}
                </option>
              ))}
            </select>
          </label>
        </div>
      </fieldset>
      {strategy === "fixed_owner" ? (
        <div className="field">
          <label className="field-label" htmlFor={`${id}-fixed`}>
            {t("rules.fixedOwner")}
          </label>
          <LookupPicker id={`${id}-fixed`} lookup="users" value={fixedOwner} onChange={(value) => setFixedOwner(value)} />
        </div>
      ) : (
        <div className="field">
          <label className="field-label" htmlFor={`${id}-owners`}>
            {t("rules.owners")}
          </label>
          <div className="owner-chips">
            {owners.map((owner) => (
              <span key={owner} className="chip" data-owner={owner}>
                <LookupValue lookup="users" id={owner} link={false} />
                <button type="button" className="icon-button" aria-label={t("rules.removeOwner")} onClick={() => setOwners(owners.filter((o) => o !== owner))}>
                  <Icon path={ICONS.close} size={12} />
                </button>
              </span>
            ))}
          </div>
          <LookupPicker
            id={`${id}-owners`}
            lookup="users"
            value={null}
            exclude={owners}
            placeholder={t("rules.addOwner")}
            onChange={(value) => value && !owners.includes(value) && setOwners([...owners, value])}
          />
        </div>
      )}
      <label className="check">
        <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} />
        {t("rules.active")}
      </label>
      <div className="dialog-actions">
        <button type="button" className="button ghost" onClick={onCancel}>
          {t("action.cancel")}
        </button>
        <button type="submit" className="button primary" disabled={busy || !name.trim()}>
          {t("action.save")}
        </button>
      </div>
    </form>
  );
}
