// Roles (administrators): what each role lets its holders do — in words for the
// administration it allows, and its access rights per section (operations, record
// scopes, fields), which an administrator edits and saves here. The roles are Osprey's
// three seeded ones.
import { useId, useState } from "react";
import { Link } from "../../core/router";
import { useT } from "../../i18n";
import { useItems } from "./common";
import { type Role, permissionGroup, permissionLabel, roleLabel, sortRoles } from "./people";
import { RoleRights } from "./RoleRights";

const GROUPS = ["administration"] as const;

export function Roles() {
  const t = useT();
  const id = useId();
  const { items, failed } = useItems<Role>("/roles");
  const [chosen, setChosen] = useState<string | null>(null);
  const roles = items ? sortRoles(items) : [];
  const role = roles.find((r) => r.id === chosen) ?? roles[0];
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <div className="page-head">
        <h2 id={`${id}-title`} className="grow">
          {t("admin.roles")}
        </h2>
      </div>
      <p className="muted small">{t("roles.intro")}</p>
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {!items && !failed && <div className="loading" aria-busy="true" />}
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
