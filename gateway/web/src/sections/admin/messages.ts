import type { LocaleMessages } from "../../i18n";

// Only the menu's word lives in the shell; the pages bring messages.admin.ts.
const messages: LocaleMessages = {
  en: { "section.admin": "Administration" },
  ru: { "section.admin": "Администрирование" },
};

export default messages;
