// Teams (administrators): each with its manager and how many people it has; create,
// rename, choose the manager, and delete a team nobody is in.
import { useEffect, useId, useState } from "react";
import { get, request } from "../../core/api";
import { Link } from "../../core/router";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { useItems } from "./common";
import { type AdminUser, type Team, explainRefusal, rememberTeam } from "./people";

/** Who may manage a team: the active users, by name (one page of up to 500). */
function useActiveUsers(): AdminUser[] {
  const [users, setUsers] = useState<AdminUser[]>([]);
  useEffect(() => {
    get<{ items: AdminUser[] }>("/users?filter[is_active]=true&limit=500").then(
      (page) => setUsers(page.items ?? []),
      () => setUsers([]),
    );
  }, []);
  return users;
}

export function Teams() {
  const t = useT();
  const id = useId();
  const { items, failed, reload } = useItems<Team>("/teams");
  const users = useActiveUsers();
  const [editing, setEditing] = useState<Team | "new" | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  const managerName = (managerId: string | null) =>
    managerId ? users.find((u) => u.id === managerId)?.full_name ?? t("teams.managerInactive") : t("teams.noManager");

  const remove = async (team: Team) => {
    if (!window.confirm(t("admin.confirmDelete", { name: team.name }))) return;
    setProblem(null);
    setStatus(null);
    try {
      await request(`/teams/${encodeURIComponent(team.id)}`, { method: "DELETE" });
      setStatus(t("teams.deleted", { name: team.name }));
    } catch (error) {
      setProblem(explainRefusal(t, error));
    } finally {
      reload();
    }
  };

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <div className="page-head">
        <h2 id={`${id}-title`} className="grow">
          {t("admin.teams")}
        </h2>
        {editing === null && (
          <button type="button" className="button primary" onClick={() => setEditing("new")}>
            <Icon path={ICONS.plus} size={16} />
            {t("teams.new")}
          </button>
        )}
      </div>
      <p className="muted small">{t("teams.intro")}</p>
      {status && (
        <p className="muted" role="status">
          {status}
        </p>
      )}
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      {editing !== null && (
        <TeamForm
          key={editing === "new" ? "new" : editing.id}
          team={editing === "new" ? null : editing}
          users={users}
          onDone={(saved) => {
            rememberTeam(saved);
            setEditing(null);
            setProblem(null);
            setStatus(t("record.saved"));
            reload();
          }}
          onCancel={() => setEditing(null)}
        />
      )}
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {!items && !failed && <div className="loading" aria-busy="true" />}
      {items && items.length === 0 && <p className="muted empty-note">{t("teams.none")}</p>}
      {items && items.length > 0 && (
        <table className="simple-table" aria-label={t("admin.teams")}>
          <thead>
            <tr>
              <th>{t("teams.name")}</th>
              <th>{t("teams.manager")}</th>
              <th>{t("teams.people")}</th>
              <th>
                <span className="visually-hidden">{t("rules.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((team) => (
              <tr key={team.id} data-team={team.name}>
                <td>{team.name}</td>
                <td>{managerName(team.manager_id)}</td>
                <td>
                  <Link to={`/admin/users?team=${encodeURIComponent(team.id)}`}>{t.plural("teams.count", team.user_count ?? 0)}</Link>
                </td>
                <td className="row-actions">
                  <button type="button" className="button ghost small" onClick={() => setEditing(team)} aria-label={t("teams.editNamed", { name: team.name })}>
                    {t("admin.edit")}
                  </button>
                  <button
                    type="button"
                    className="button danger-ghost small"
                    aria-label={t("admin.deleteNamed", { name: team.name })}
                    title={team.user_count ? t("teams.deleteWhenEmpty") : undefined}
                    onClick={() => void remove(team)}
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

function TeamForm({
  team,
  users,
  onDone,
  onCancel,
}: {
  team: Team | null;
  users: AdminUser[];
  onDone: (team: Team) => void;
  onCancel: () => void;
}) {
  const t = useT();
  const [name, setName] = useState(team?.name ?? "");
  const [managerId, setManagerId] = useState(team?.manager_id ?? "");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const title = team ? t("teams.editTitle", { name: team.name }) : t("teams.new");

  const save = async () => {
    setBusy(true);
    setProblem(null);
    const body = { name: name.trim(), manager_id: managerId || null };
    try {
      const response = team
        ? await request<Team>(`/teams/${encodeURIComponent(team.id)}`, { method: "PATCH", body })
        : await request<Team>("/teams", { method: "POST", body });
      onDone(response.data);
    } catch (error) {
      setProblem(explainRefusal(t, error));
    } finally {
      setBusy(false);
    }
  };

  // a manager who was deactivated stays shown until another is chosen
  const choices = managerId && !users.some((u) => u.id === managerId) ? [{ id: managerId, full_name: t("teams.managerInactive") }, ...users] : users;
  return (
    <form
      className="admin-form card"
      aria-label={title}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h3 className="subhead">{title}</h3>
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      <div className="field-grid">
        <label className="field">
          <span className="field-label">{t("teams.name")}</span>
          <input value={name} required maxLength={200} autoFocus onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="field">
          <span className="field-label">{t("teams.manager")}</span>
          <select value={managerId} onChange={(e) => setManagerId(e.target.value)}>
            <option value="">{t("teams.noManager")}</option>
            {choices.map((user) => (
              <option key={user.id} value={user.id}>
                {user.full_name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="dialog-actions">
        <button type="button" className="button ghost" onClick={onCancel}>
          {t("action.cancel")}
        </button>
        <button type="submit" className="button primary" disabled={busy || !name.trim()}>
          {team ? t("action.save") : t("action.create")}
        </button>
      </div>
    </form>
  );
}
