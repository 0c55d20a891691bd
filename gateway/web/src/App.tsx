// The app's top level: who is signed in decides between the sign-in page and the shell.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, request, setUnauthenticatedHandler } from "./core/api";
import { forgetNames } from "./core/lookup";
import { forgetEntities } from "./core/meta";
import { forgetStages } from "./core/stages";
import { navigate, useLocation } from "./core/router";
import {
  DEFAULT_ACCENT,
  SessionContext,
  applyAppearance,
  isColour,
  isTheme,
  rememberedAppearance,
  type Appearance,
  type Session,
  type User,
} from "./core/session";
import { I18nProvider, guessLocale, isLocale, type Locale } from "./i18n";
import { Shell } from "./shell/Shell";
import { SignIn } from "./shell/SignIn";
import { ChangePassword } from "./shell/password/ChangePassword";

type State =
  | { phase: "loading" }
  | { phase: "anonymous"; expired: boolean }
  // signed in with a password somebody else made: nothing else until they choose theirs
  | { phase: "password"; user: User }
  | { phase: "ready"; user: User; prefs: Record<string, unknown> };

const SIGN_IN = "/sign-in";

async function loadPreferences(): Promise<Record<string, unknown>> {
  try {
    return (await request<Record<string, unknown>>("/me/preferences")).data ?? {};
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return {};
    throw error;
  }
}

function appearanceOf(user: User, fallback: Appearance): Appearance {
  return {
    theme: isTheme(user.theme) ? user.theme : fallback.theme,
    accent: isColour(user.accent_color) ? user.accent_color : fallback.accent,
    locale: isLocale(user.locale) ? user.locale : fallback.locale,
  };
}

/** Where to go after signing in: the `next` the sign-in page was given, if it is ours. */
function nextPath(search: string): string {
  const next = new URLSearchParams(search).get("next");
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith(SIGN_IN) ? next : "/";
}

export function App() {
  const location = useLocation();
  const [state, setState] = useState<State>({ phase: "loading" });
  const [anonymousLocale, setAnonymousLocale] = useState<Locale>(guessLocale);
  const [saveFailed, setSaveFailed] = useState(false);
  const locationRef = useRef(location);
  const appearanceQueue = useRef<Promise<unknown>>(Promise.resolve());
  const appearanceSeq = useRef(0);
  locationRef.current = location;

  const startSession = useCallback(async () => {
    try {
      const me = await request<User>("/me", { expect401: true });
      if (me.data.password_change_required) {
        setState({ phase: "password", user: me.data });
        return;
      }
      const prefs = await loadPreferences();
      setState({ phase: "ready", user: me.data, prefs });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) setState({ phase: "anonymous", expired: false });
      else throw error;
    }
  }, []);

  useEffect(() => {
    startSession().catch(() => setState({ phase: "anonymous", expired: false }));
  }, [startSession]);

  // Any request answered 401 means the session ended: back to sign-in, then back here.
  useEffect(() => {
    setUnauthenticatedHandler(() => {
      setState((previous) => (previous.phase === "ready" || previous.phase === "password"
          ? { phase: "anonymous", expired: true }
          : previous));
      forgetEntities();
      forgetNames();
      forgetStages();
      setAnonymousLocale(guessLocale());
      const { pathname, search } = locationRef.current;
      if (pathname !== SIGN_IN) {
        navigate(`${SIGN_IN}?next=${encodeURIComponent(pathname + search)}`, { replace: true });
      }
    });
    return () => setUnauthenticatedHandler(null);
  }, []);

  const remembered = useMemo(() => rememberedAppearance(anonymousLocale), [anonymousLocale]);
  const appearance: Appearance =
    state.phase === "ready" ? appearanceOf(state.user, { ...remembered, accent: remembered.accent ?? DEFAULT_ACCENT }) : remembered;

  useEffect(() => applyAppearance(appearance), [appearance.theme, appearance.accent, appearance.locale]); // eslint-disable-line react-hooks/exhaustive-deps

  // Keep the address bar honest about which page is shown.
  useEffect(() => {
    if (state.phase === "anonymous" && location.pathname !== SIGN_IN) {
      const here = location.pathname + location.search;
      navigate(here === "/" ? SIGN_IN : `${SIGN_IN}?next=${encodeURIComponent(here)}`, { replace: true });
    }
    if ((state.phase === "ready" || state.phase === "password") && location.pathname === SIGN_IN) {
      navigate(nextPath(location.search), { replace: true });
    }
  }, [state.phase, location.pathname, location.search]);

  const session: Session | null = useMemo(() => {
    if (state.phase !== "ready") return null;
    const setPref = async (key: string, value: unknown) => {
      setState((s) => (s.phase === "ready" ? { ...s, prefs: { ...s.prefs, [key]: value } } : s));
      try {
        await request(`/me/preferences/${encodeURIComponent(key)}`, { method: "PUT", body: value });
        setSaveFailed(false);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 401)) setSaveFailed(true);
      }
    };
    const setAppearance = async (change: Partial<Appearance>) => {
      const next = { ...appearance, ...change };
      setState((s) =>
        s.phase === "ready"
          ? { ...s, user: { ...s.user, theme: next.theme, locale: next.locale, accent_color: next.accent } }
          : s,
      );
      // Only what changed is sent, one change after the other: two quick changes (the
      // theme, then the language) must not arrive in the other order and undo one
      // another; only the latest answer is shown, so an earlier one cannot undo a later
      // change on the screen either.
      const body: Partial<Pick<User, "theme" | "locale" | "accent_color">> = {};
      if (change.theme !== undefined) body.theme = change.theme;
      if (change.locale !== undefined) body.locale = change.locale;
      if ("accent" in change) body.accent_color = change.accent;
      const seq = ++appearanceSeq.current;
      const send = appearanceQueue.current.then(() => request<User>("/me", { method: "PATCH", body }));
      appearanceQueue.current = send.catch(() => undefined);
      try {
        const updated = await send;
        if (seq === appearanceSeq.current) {
          setState((s) => (s.phase === "ready" ? { ...s, user: { ...s.user, ...updated.data } } : s));
        }
        setSaveFailed(false);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 401)) setSaveFailed(true);
      }
    };
    const signOut = async () => {
      try {
        await request("/auth/logout", { method: "POST", expect401: true });
      } finally {
        forgetEntities();
        forgetNames();
        forgetStages();
        setAnonymousLocale(guessLocale());
        setState({ phase: "anonymous", expired: false });
        navigate(SIGN_IN, { replace: true });
      }
    };
    return { user: state.user, prefs: state.prefs, appearance, setPref, setAppearance, signOut };
  }, [state, appearance]);

  const signOutFirst = async () => {
    try {
      await request("/auth/logout", { method: "POST", expect401: true });
    } finally {
      setState({ phase: "anonymous", expired: false });
      navigate(SIGN_IN, { replace: true });
    }
  };

  let page: React.ReactNode;
  if (state.phase === "loading") {
    page = <div className="splash" aria-busy="true" />;
  } else if (state.phase === "password") {
    page = <ChangePassword email={state.user.email} onChanged={startSession} onSignOut={signOutFirst} />;
  } else if (state.phase === "anonymous" || !session) {
    page = (
      <SignIn
        expired={state.phase === "anonymous" && state.expired}
        locale={anonymousLocale}
        onLocale={setAnonymousLocale}
        onSignedIn={startSession}
      />
    );
  } else {
    page = (
      <SessionContext.Provider value={session}>
        <Shell saveFailed={saveFailed} onDismissSaveFailed={() => setSaveFailed(false)} />
      </SessionContext.Provider>
    );
  }
  return <I18nProvider locale={appearance.locale}>{page}</I18nProvider>;
}
