// What the designer offers: only the elements the engine runs (docs/processes.md). The
// default palette, context pad and replace menu of bpmn-js offer more (pools, data
// stores, business rule tasks, complex gateways, ad-hoc subprocesses, conditional,
// escalation, error, compensation and link events); these filters take them out.

/** Palette entries kept: the tools, the events, a gateway, a task and a subprocess. */
export const PALETTE_KEEP = new Set([
  "hand-tool",
  "lasso-tool",
  "space-tool",
  "global-connect-tool",
  "tool-separator",
  "create.start-event",
  "create.intermediate-event",
  "create.end-event",
  "create.exclusive-gateway",
  "create.task",
  "create.subprocess-expanded",
]);

/** Context pad entries taken out (the rest — append task, gateway, events, connect, replace, delete — stay). */
export const CONTEXT_PAD_DROP = new Set([
  "append.condition-intermediate-event",
  "append.compensation-activity",
  "append.receive-task",
]);

/** Replace-menu targets the engine runs (`replace-with-<id>`). */
export const REPLACE_KEEP = new Set([
  "user-task",
  "service-task",
  "script-task",
  "call-activity",
  "collapsed-subprocess",
  "expanded-subprocess",
  "subprocess",
  "exclusive-gateway",
  "inclusive-gateway",
  "parallel-gateway",
  "event-based-gateway",
  "none-start",
  "none-start-event",
  "message-start",
  "timer-start",
  "signal-start",
  "none-end",
  "none-end-event",
  "message-end",
  "signal-end",
  "terminate-end",
  "none-intermediate-throw",
  "none-intermediate-throwing",
  "message-intermediate-catch",
  "message-intermediate-throw",
  "timer-intermediate-catch",
  "signal-intermediate-catch",
  "signal-intermediate-throw",
  "message-boundary",
  "timer-boundary",
  "signal-boundary",
  "non-interrupting-message-boundary",
  "non-interrupting-timer-boundary",
  "non-interrupting-signal-boundary",
  "sequence-flow",
  "default-flow",
  "conditional-flow",
]);

function keep<T>(entries: Record<string, T>, test: (id: string) => boolean): Record<string, T> {
  return Object.fromEntries(Object.entries(entries).filter(([id]) => test(id)));
}

export function filterPalette<T>(entries: Record<string, T>): Record<string, T> {
  return keep(entries, (id) => PALETTE_KEEP.has(id));
}

export function filterContextPad<T>(entries: Record<string, T>): Record<string, T> {
  return keep(entries, (id) => !CONTEXT_PAD_DROP.has(id));
}

/** Replace entries are keyed `replace-with-<id>`; anything else (a header toggle) stays. */
export function filterReplace<T>(entries: Record<string, T>): Record<string, T> {
  return keep(entries, (id) => !id.startsWith("replace-with-") || REPLACE_KEEP.has(id.slice("replace-with-".length)));
}

interface Registry {
  registerProvider(priority: number, provider: unknown): void;
}
interface PopupRegistry {
  registerProvider(id: string, priority: number, provider: unknown): void;
}
type Updater<T> = (entries: Record<string, T>) => Record<string, T>;

/** A bpmn-js module: providers that run after the defaults and filter what they offered. */
class OspreyPalette {
  static $inject = ["palette"];
  constructor(palette: Registry) {
    palette.registerProvider(500, this);
  }
  getPaletteEntries(): Updater<unknown> {
    return filterPalette;
  }
}

class OspreyContextPad {
  static $inject = ["contextPad"];
  constructor(contextPad: Registry) {
    contextPad.registerProvider(500, this);
  }
  getContextPadEntries(): Updater<unknown> {
    return filterContextPad;
  }
}

class OspreyReplaceMenu {
  static $inject = ["popupMenu"];
  constructor(popupMenu: PopupRegistry) {
    popupMenu.registerProvider("bpmn-replace", 500, this);
  }
  getPopupMenuEntries(): Updater<unknown> {
    return filterReplace;
  }
}

export const limitedPaletteModule = {
  __init__: ["ospreyPalette", "ospreyContextPad", "ospreyReplaceMenu"],
  ospreyPalette: ["type", OspreyPalette],
  ospreyContextPad: ["type", OspreyContextPad],
  ospreyReplaceMenu: ["type", OspreyReplaceMenu],
};
