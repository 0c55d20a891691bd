// Roles (administrators): what each role lets its holders do — in words for the
// administration it allows, and its access rights per section (operations, record
// scopes, fields), which an administrator edits and saves here. Beside Osprey's three
// seeded roles an administrator makes roles of their own (from nothing or from another
// role's rights), renames them and deletes one nobody holds.
import { useId, useState } from "react";
import { request } from "../../core/api";
import { Link } from "../../core/router";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { useItems } from "./common";
import { type Role, permissionGroup, permissionLabel, roleLabel, sortRoles } from "./people";
import { explainRoleRefusal, RoleForm, SEEDED_ROLES } from "./RoleForm";
import { RoleRights } from "./RoleRights";

const GROUPS = ["administration"] as const;

export function Roles() {
  const t = useT();
  const id = useId();
  const { items, failed, reload } = useItems<Role>("/roles");
  const [chosen, setChosen] = useState<string | null>(null);
  const [editing, setEditing] = useState<Role | "new" | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const roles = items ? sortRoles(items) : [];
  // a role just made is chosen before the list holds it: none is shown until it does
  const role = roles.find((r) => r.id === chosen) ?? (chosen === null ? roles[0] : undefined);
  const own = role !== undefined && !SEEDED_ROLES.has(role.name);

  const remove = async (doomed: Role) => {
    if (!window.confirm(t("admin.confirmDelete", { name: doomed.name }))) return;
    setProblem(null);
    setStatus(null);
    try {
      await request(`/roles/${encodeURIComponent(doomed.id)}`, { method: "DELETE" });
      setStatus(t("roles.deleted", { name: doomed.name }));
      setChosen(null);
    } catch (error) {
      setProblem(explainRoleRefusal(t, error, doomed.name));
    } finally {
      reload();
    }
  };

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <div className="page-head">
        <h2 id={`${id}-title`} className="grow">
          {t("admin.roles")}
        </h2>
        {editing === null && items && (
          <button
            type="button"
            className="button primary"
            onClick={() => {
              setStatus(null);
              setProblem(null);
              setEditing("new");
            }}
          >
            <Icon path={ICONS.plus} size={16} />
            {t("roles.new")}
          </button>
        )}
      </div>
      <p className="muted small">{t("roles.intro")}</p>
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
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {!items && !failed && <div className="loading" aria-busy="true" />}
      {editing !== null && (
        <RoleForm
          key={editing === "new" ? "new" : editing.id}
          role={editing === "new" ? null : editing}
          roles={roles}
          onDone={(saved) => {
            setStatus(t(editing === "new" ? "roles.created" : "roles.renamed", { name: saved.name }));
            setProblem(null);
            setEditing(null);
            setChosen(saved.id);
            reload();
          }}
          onCancel={() => setEditing(null)}
        />
      )}
      {role && (
        <>
          <div className="role-cards">
            {roles.map((r) => (
              <RoleCard key={r.id} role={r} />
            ))}
          </div>
          <div className="role-tabs" role="group" aria-label={t("rights.pick")}>
            {roles.map((r) => (
              <button
                key={r.id}
                type="button"
                className={r.id === role.id ? "button toggled" : "button"}
                aria-pressed={r.id === role.id}
                data-rights-role={r.name}
                onClick={() => setChosen(r.id)}
              >
                {roleLabel(t, r.name)}
              </button>
            ))}
          </div>
          {own && editing === null && (
            <div className="role-actions" data-role-actions={role.name}>
              <span className="muted small grow">{t("roles.own")}</span>
              <button
                type="button"
                className="button small"
                onClick={() => {
                  setStatus(null);
                  setProblem(null);
                  setEditing(role);
                }}
              >
                {t("roles.rename")}
              </button>
              <button type="button" className="button small danger" onClick={() => void remove(role)}>
                {t("roles.delete")}
              </button>
            </div>
          )}
          <RoleRights roleId={role.id} />
        </>
      )}
    </section>
  );
}

function RoleCard({ role }: { role: Role }) {
  const t = useT();
  const id = useId();
  const byGroup = (group: (typeof GROUPS)[number]) => role.permissions.filter((p) => permissionGroup(p) === group);
  return (
    <article className="role-card" aria-labelledby={`${id}-title`} data-role={role.name}>
      <div className="page-head">
        <h3 id={`${id}-title`} className="grow">
          {roleLabel(t, role.name)}
        </h3>
        <Link to={`/admin/users?role=${encodeURIComponent(role.name)}`} className="small">
          {t("roles.holders")}
        </Link>
      </div>
      {t.has(`roles.about.${role.name}`) && <p className="muted small">{t(`roles.about.${role.name}`)}</p>}
      {GROUPS.map((group) => {
        const permissions = byGroup(group);
        if (!permissions.length) return null;
        return (
          <div key={group}>
            <h4 className="subhead">{t(`roles.group.${group}`)}</h4>
            <ul className="permission-list">
              {permissions.map((permission) => (
                <li key={permission} title={permission}>
                  {permissionLabel(t, permission)}
                </li>
              ))}
            </ul>
          </div>
        );
      })}
    </article>
  );
}
