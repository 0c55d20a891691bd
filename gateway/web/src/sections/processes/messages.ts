import type { LocaleMessages } from "../../i18n";

// Only the menu's word lives here; the screens bring messages.processes.ts.
const messages: LocaleMessages = {
  en: { "section.processes": "Processes" },
  ru: { "section.processes": "Процессы" },
};

export default messages;
