// Users (administrators): the list with its search and filters, inviting someone, and a
// side panel for the chosen user (UserPanel.tsx).
import { useCallback, useEffect, useId, useState } from "react";
import { ApiError, get, request } from "../../core/api";
import { Link, navigate, useSearchParams } from "../../core/router";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { Dialog } from "../../views/Dialog";
import { useItems } from "./common";
import { type AdminUser, type Role, type Team, explainRefusal, roleLabel, sortRoles } from "./people";
import { RoleChoice, TemporaryPassword, UserPanel } from "./UserPanel";

const PAGE = 100;

interface Page {
  items: AdminUser[];
  next_cursor: string | null;
}

export function Users({ userId }: { userId?: string }) {
  const t = useT();
  const id = useId();
  const teams = useItems<Team>("/teams");
  const roles = useItems<Role>("/roles");
  const [params] = useSearchParams(); // the teams and roles pages link here filtered
  const [q, setQ] = useState("");
  const [teamId, setTeamId] = useState(params.get("team") ?? "");
  const [role, setRole] = useState(params.get("role") ?? "");
  const [status, setStatus] = useState(params.has("team") ? "all" : "active");
  const [users, setUsers] = useState<AdminUser[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const [inviting, setInviting] = useState(false);
  const [version, setVersion] = useState(0);

  const query = useCallback(
    (cursor: string | null) => {
      const params = new URLSearchParams({ limit: String(PAGE) });
      if (q.trim()) params.set("q", q.trim());
      if (teamId) params.set("filter[team_id]", teamId);
      if (role) params.set("filter[role]", role);
      if (status !== "all") params.set("filter[is_active]", status === "active" ? "true" : "false");
      if (cursor) params.set("cursor", cursor);
      return `/users?${params.toString()}`;
    },
    [q, teamId, role, status],
  );

  useEffect(() => {
    const controller = new AbortController();
    // typing in the search box asks once it pauses
    const timer = window.setTimeout(() => {
      get<Page>(query(null), controller.signal).then(
        (page) => {
          setUsers(page.items);
          setNext(page.next_cursor);
          setFailed(false);
        },
        (error) => {
          if ((error as Error).name !== "AbortError" && !(error instanceof ApiError && error.status === 401)) setFailed(true);
        },
      );
    }, 200);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [query, version]);

  const more = () => {
    if (!next) return;
    get<Page>(query(next)).then((page) => {
      setUsers((current) => [...(current ?? []), ...page.items]);
      setNext(page.next_cursor);
    }, () => setFailed(true));
  };

  const changed = () => {
    setVersion((v) => v + 1);
    teams.reload();
  };
  const teamName = (tid: string | null) => (tid ? (teams.items ?? []).find((x) => x.id === tid)?.name ?? "…" : t("field.none"));
  const sortedRoles = sortRoles(roles.items ?? []);

  return (
    <div className={userId ? "admin-split" : undefined}>
      <section className="card" aria-labelledby={`${id}-title`}>
        <div className="page-head">
          <h2 id={`${id}-title`} className="grow">
            {t("admin.users")}
          </h2>
          <button type="button" className="button primary" onClick={() => setInviting(true)}>
            <Icon path={ICONS.plus} size={16} />
            {t("users.invite")}
          </button>
        </div>
        <div className="toolbar people-filters" role="search">
          <label className="search">
            <Icon path={ICONS.search} size={16} />
            <input type="search" value={q} placeholder={t("users.search")} aria-label={t("users.search")} onChange={(e) => setQ(e.target.value)} />
          </label>
          <label className="field inline">
            <span className="field-label">{t("users.team")}</span>
            <select value={teamId} onChange={(e) => setTeamId(e.target.value)}>
              <option value="">{t("users.anyTeam")}</option>
              {(teams.items ?? []).map((team) => (
                <option key={team.id} value={team.id}>
                  {team.name}
                </option>
              ))}
            </select>
          </label>
          <label className="field inline">
            <span className="field-label">{t("users.role")}</span>
            <select value={role} onChange={(e) => setRole(e.target.value)}>
              <option value="">{t("users.anyRole")}</option>
              {sortedRoles.map((r) => (
                <option key={r.id} value={r.name}>
                  {roleLabel(t, r.name)}
                </option>
              ))}
            </select>
          </label>
          <label className="field inline">
            <span className="field-label">{t("users.status")}</span>
            <select value={status} onChange={(e) => setStatus(e.target.value)}>
              <option value="active">{t("users.status.active")}</option>
              <option value="inactive">{t("users.status.inactive")}</option>
              <option value="all">{t("users.status.all")}</option>
            </select>
          </label>
        </div>
        {failed && <p className="form-error">{t("error.loadFailed")}</p>}
        {!users && !failed && <div className="loading" aria-busy="true" />}
        {users && users.length === 0 && <p className="muted empty-note">{t("users.none")}</p>}
        {users && users.length > 0 && (
          <table className="simple-table people-table" aria-label={t("admin.users")}>
            <thead>
              <tr>
                <th>{t("users.name")}</th>
                <th>{t("users.email")}</th>
                <th>{t("users.team")}</th>
                <th>{t("users.roles")}</th>
              </tr>
            </thead>
            <tbody>
              {users.map((user) => (
                <tr key={user.id} className={user.is_active ? undefined : "admin-row-off"} data-user={user.email} data-selected={user.id === userId || undefined}>
                  <td>
                    <Link to={`/admin/users/${user.id}`} aria-current={user.id === userId ? "page" : undefined}>
                      {user.full_name}
                    </Link>
                    {!user.is_active && <span className="badge">{t("users.deactivated")}</span>}
                  </td>
                  <td>{user.email}</td>
                  <td>{teamName(user.team_id)}</td>
                  <td>{user.roles.map((r) => roleLabel(t, r)).join(", ") || t("field.none")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {next && (
          <button type="button" className="button ghost add-entry" onClick={more}>
            {t("users.more")}
          </button>
        )}
      </section>
      {userId && (
        <UserPanel
          key={userId}
          userId={userId}
          teams={teams.items ?? []}
          roles={sortedRoles}
          onChanged={changed}
          onClose={() => navigate("/admin/users")}
        />
      )}
      {inviting && (
        <InviteDialog
          teams={teams.items ?? []}
          roles={sortedRoles}
          onClose={() => setInviting(false)}
          onInvited={changed}
        />
      )}
    </div>
  );
}

function InviteDialog({
  teams,
  roles,
  onClose,
  onInvited,
}: {
  teams: Team[];
  roles: Role[];
  onClose: () => void;
  onInvited: () => void;
}) {
  const t = useT();
  const id = useId();
  const [fullName, setFullName] = useState("");
  const [email, setEmail] = useState("");
  const [teamId, setTeamId] = useState("");
  const [roleIds, setRoleIds] = useState<string[] | null>(null);
  const [typed, setTyped] = useState(false);
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [invalid, setInvalid] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [invited, setInvited] = useState<AdminUser | null>(null);
  const chosen = roleIds ?? roles.filter((r) => r.name === "sales_rep").map((r) => r.id);

  const submit = async () => {
    setBusy(true);
    setProblem(null);
    setInvalid([]);
    const body: Record<string, unknown> = {
      full_name: fullName.trim(),
      email: email.trim(),
      team_id: teamId || null,
      role_ids: chosen,
    };
    if (typed) body.password = password;
    try {
      const response = await request<AdminUser>("/users", { method: "POST", body });
      setInvited(response.data);
      onInvited();
    } catch (error) {
      setProblem(explainRefusal(t, error));
      if (error instanceof ApiError) setInvalid(error.errors.map((e) => e.field));
    } finally {
      setBusy(false);
    }
  };

  if (invited) {
    return (
      <Dialog
        title={t("users.invited", { name: invited.full_name })}
        onClose={onClose}
        actions={
          <>
            <Link to={`/admin/users/${invited.id}`} className="button ghost" onClick={onClose}>
              {t("users.openUser")}
            </Link>
            <button type="button" className="button primary" onClick={onClose}>
              {t("users.done")}
            </button>
          </>
        }
      >
        <p>{t("users.invitedText", { email: invited.email })}</p>
        {invited.temporary_password ? (
          <TemporaryPassword password={invited.temporary_password} />
        ) : (
          <p className="muted">{t("users.typedPasswordKept")}</p>
        )}
      </Dialog>
    );
  }

  const field = (name: string) => (invalid.includes(name) ? true : undefined);
  return (
    <Dialog
      title={t("users.invite")}
      onClose={onClose}
      onSubmit={() => void submit()}
      actions={
        <>
          <button type="button" className="button ghost" onClick={onClose}>
            {t("action.cancel")}
          </button>
          <button type="submit" className="button primary" disabled={busy || !fullName.trim() || !email.trim() || (typed && !password)}>
            {t("users.inviteSubmit")}
          </button>
        </>
      }
    >
      {problem && (
        <p className="banner danger" role="alert">
          {problem}
        </p>
      )}
      <div className="field-grid compact">
        <label className="field">
          <span className="field-label">{t("users.name")}</span>
          <input value={fullName} maxLength={200} autoFocus aria-invalid={field("full_name")} onChange={(e) => setFullName(e.target.value)} />
        </label>
        <label className="field">
          <span className="field-label">{t("users.email")}</span>
          <input type="email" value={email} maxLength={254} aria-invalid={field("email")} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label className="field">
          <span className="field-label">{t("users.team")}</span>
          <select value={teamId} aria-invalid={field("team_id")} onChange={(e) => setTeamId(e.target.value)}>
            <option value="">{t("users.noTeam")}</option>
            {teams.map((team) => (
              <option key={team.id} value={team.id}>
                {team.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <RoleChoice roles={roles} value={chosen} onChange={setRoleIds} legend={t("users.roles")} />
      <fieldset className="plain-fieldset">
        <legend className="field-label">{t("users.password")}</legend>
        <label className="check">
          <input type="radio" name={`${id}-password`} checked={!typed} onChange={() => setTyped(false)} />
          {t("users.passwordMake")}
        </label>
        <label className="check">
          <input type="radio" name={`${id}-password`} checked={typed} onChange={() => setTyped(true)} />
          {t("users.passwordType")}
        </label>
        {typed && (
          <input
            type="password"
            autoComplete="new-password"
            aria-label={t("users.newPassword")}
            aria-invalid={field("password")}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
      </fieldset>
    </Dialog>
  );
}
