import { lazy, Suspense, useEffect, useState } from "react";
import { SECTIONS, sectionAllowed, visibleSections } from "../core/registry";
import { Link, navigate, segmentsUnder, useLocation } from "../core/router";
import { usePref, useSession } from "../core/session";
import { useT } from "../i18n";
import { Bell } from "./Bell";
import { GlobalSearch } from "./GlobalSearch";
import { ICONS, Icon, Logo } from "./Icon";
import { Settings } from "./Settings";

// Settings → Google and the page Google sends the user back to after its consent screen
const GoogleSettings = lazy(() => import("./google/GoogleSettings"));
// Settings → Exchange
const ExchangeSettings = lazy(() => import("./exchange/ExchangeSettings"));

interface UiPrefs {
  sidebar_collapsed?: boolean;
}

export function Shell({ saveFailed, onDismissSaveFailed }: { saveFailed: boolean; onDismissSaveFailed: () => void }) {
  const t = useT();
  const session = useSession();
  const location = useLocation();
  const [ui, setUi] = usePref<UiPrefs>("ui");
  const collapsed = Boolean(ui?.sidebar_collapsed);
  const sections = visibleSections(session.user);
  const active = sections.find((s) => segmentsUnder(s.route, location.pathname) !== null);
  // On a phone (under 700 px) the menu is a drawer, closed until asked for, and closed
  // again by going somewhere, by Escape or by a tap beside it.
  const [drawerOpen, setDrawerOpen] = useState(false);
  useEffect(() => setDrawerOpen(false), [location.pathname]);
  useEffect(() => {
    if (!drawerOpen) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") setDrawerOpen(false);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [drawerOpen]);

  useEffect(() => {
    if (location.pathname === "/" && sections.length > 0) navigate(sections[0].route, { replace: true });
  }, [location.pathname, sections]);

  useEffect(() => {
    const label = active ? t(active.labelKey) : location.pathname === "/settings" ? t("settings.title") : null;
    document.title = label ? `${label} · ${t("app.name")}` : t("app.name");
  }, [active, location.pathname, t]);

  let content: React.ReactNode;
  if (active) {
    const Section = active.component;
    content = (
      <Suspense fallback={<div className="loading" aria-busy="true" />}>
        <Section key={active.id} section={active} subpath={segmentsUnder(active.route, location.pathname) ?? []} />
      </Suspense>
    );
  } else if (location.pathname === "/settings") {
    content = <Settings />;
  } else if (segmentsUnder("/settings/google", location.pathname) !== null) {
    content = (
      <Suspense fallback={<div className="loading" aria-busy="true" />}>
        <GoogleSettings path={location.pathname} />
      </Suspense>
    );
  } else if (location.pathname === "/settings/exchange") {
    content = (
      <Suspense fallback={<div className="loading" aria-busy="true" />}>
        <ExchangeSettings />
      </Suspense>
    );
  } else if (location.pathname === "/") {
    content = sections.length ? null : <p className="empty-page">{t("shell.noSections")}</p>;
  } else {
    const hidden = SECTIONS.find((s) => segmentsUnder(s.route, location.pathname) !== null);
    content = (
      <div className="empty-page">
        <h1>{hidden && !sectionAllowed(session.user, hidden) ? t("error.forbidden") : t("error.notFound")}</h1>
        <Link to="/">{t("shell.home")}</Link>
      </div>
    );
  }

  const name = session.user.full_name || session.user.email;
  return (
    <div className={`shell${collapsed ? " collapsed" : ""}${drawerOpen ? " drawer-open" : ""}`}>
      <a className="skip-link" href="#main">
        {t("shell.skip")}
      </a>
      <header className="phone-bar">
        <button
          type="button"
          className="icon-button"
          aria-label={t("shell.menu")}
          aria-expanded={drawerOpen}
          aria-controls="osprey-sections"
          onClick={() => setDrawerOpen((open) => !open)}
        >
          <Icon path={ICONS.menu} />
        </button>
        <Logo />
        <span className="phone-bar-title">{active ? t(active.labelKey) : t("app.name")}</span>
      </header>
      {drawerOpen && <div className="drawer-backdrop" aria-hidden="true" onClick={() => setDrawerOpen(false)} />}
      <nav className="sidebar" id="osprey-sections" aria-label={t("shell.sections")}>
        <div className="brand">
          <Logo />
          <span className="brand-name">{t("app.name")}</span>
          {sections.some((s) => s.id === "feed") && <Bell />}
        </div>
        <GlobalSearch collapsed={collapsed} onExpand={() => void setUi({ ...ui, sidebar_collapsed: false })} />
        <ul className="menu">
          {sections.map((section) => (
            <li key={section.id}>
              <Link
                to={section.route}
                className={section === active ? "menu-item active" : "menu-item"}
                aria-current={section === active ? "page" : undefined}
                title={collapsed ? t(section.labelKey) : undefined}
                data-section={section.id}
              >
                <Icon path={section.icon} />
                <span className="menu-label">{t(section.labelKey)}</span>
              </Link>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <Link
            to="/settings"
            className={location.pathname === "/settings" ? "menu-item active" : "menu-item"}
            aria-current={location.pathname === "/settings" ? "page" : undefined}
            title={collapsed ? t("settings.title") : undefined}
          >
            <Icon path={ICONS.settings} />
            <span className="menu-label">{t("settings.title")}</span>
          </Link>
          <button
            type="button"
            className="menu-item"
            onClick={() => void session.signOut()}
            title={collapsed ? t("shell.signOut") : undefined}
          >
            <Icon path={ICONS.signOut} />
            <span className="menu-label">{t("shell.signOut")}</span>
          </button>
          <div className="user-line" title={session.user.email}>
            <span className="avatar" aria-hidden="true">
              {name.slice(0, 1).toUpperCase()}
            </span>
            <span className="menu-label">{name}</span>
          </div>
          <button
            type="button"
            className="menu-item collapse-toggle"
            aria-expanded={!collapsed}
            onClick={() => void setUi({ ...ui, sidebar_collapsed: !collapsed })}
          >
            <Icon path={collapsed ? ICONS.expand : ICONS.collapse} />
            <span className="menu-label">{t("shell.collapse")}</span>
            {collapsed && <span className="visually-hidden">{t("shell.expand")}</span>}
          </button>
        </div>
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        {saveFailed && (
          <div className="toast" role="alert">
            <span>{t("error.saveFailed")}</span>
            <button type="button" className="button ghost small" onClick={onDismissSaveFailed}>
              {t("action.dismiss")}
            </button>
          </div>
        )}
        {content}
      </main>
    </div>
  );
}
