// A small history-API router: the app has few routes and each section routes inside
// its own path, so a routing library would cost more bytes than it saves.
import { createContext, useContext, useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from "react";

export interface Location {
  pathname: string;
  search: string;
}

const listeners = new Set<() => void>();

function current(): Location {
  return { pathname: window.location.pathname, search: window.location.search };
}

// A page with unsaved changes asks before the user leaves it: for a link or a menu
// item (navigate), for Back and Forward (popstate, put back when the user stays), and
// for closing or reloading the tab (beforeunload, the browser's own question). Moving
// within the same page (its tabs, its query) asks nothing.
let leaveGuard: { message: string } | null = null;

/** Ask `message` before leaving the page while set; clear with null. */
export function setLeaveGuard(guard: { message: string } | null): void {
  leaveGuard = guard;
}

function mayLeave(toPathname: string): boolean {
  if (!leaveGuard || toPathname === window.location.pathname) return true;
  if (!window.confirm(leaveGuard.message)) return false;
  leaveGuard = null;
  return true;
}

/** The address the app shows now (to go back to when the user stays). */
let shown = window.location.pathname + window.location.search;

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === window.location.pathname + window.location.search) return;
  if (!mayLeave(new URL(to, window.location.href).pathname)) return;
  if (options.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  shown = window.location.pathname + window.location.search;
  listeners.forEach((listener) => listener());
}

window.addEventListener("popstate", () => {
  if (leaveGuard && window.location.pathname !== new URL(shown, window.location.href).pathname) {
    if (!window.confirm(leaveGuard.message)) {
      window.history.pushState(null, "", shown);
      return;
    }
    leaveGuard = null;
  }
  shown = window.location.pathname + window.location.search;
  listeners.forEach((listener) => listener());
});

window.addEventListener("beforeunload", (event) => {
  if (!leaveGuard) return;
  event.preventDefault();
  event.returnValue = leaveGuard.message; // older browsers show it; newer ones their own
});

const LocationContext = createContext<Location>(current());

export function RouterProvider({ children }: { children: React.ReactNode }) {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = () => setLocation(current());
    listeners.add(update);
    return () => {
      listeners.delete(update);
    };
  }, []);
  return <LocationContext.Provider value={location}>{children}</LocationContext.Provider>;
}

export function useLocation(): Location {
  return useContext(LocationContext);
}

export function useSearchParams(): [URLSearchParams, (next: URLSearchParams, replace?: boolean) => void] {
  const location = useLocation();
  const params = new URLSearchParams(location.search);
  const set = (next: URLSearchParams, replace = true) => {
    const search = next.toString();
    navigate(location.pathname + (search ? `?${search}` : ""), { replace });
  };
  return [params, set];
}

/** The part of `pathname` under `base` split into segments, or null when outside it. */
export function segmentsUnder(base: string, pathname: string): string[] | null {
  if (pathname !== base && !pathname.startsWith(base + "/")) return null;
  return pathname
    .slice(base.length)
    .split("/")
    .filter(Boolean)
    .map(decodeURIComponent);
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string; replace?: boolean };

export function Link({ to, replace, onClick, ...rest }: LinkProps) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to, { replace });
  };
  return <a href={to} onClick={handle} {...rest} />;
}
