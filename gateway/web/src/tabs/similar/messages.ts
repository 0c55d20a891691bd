import type { LocaleMessages } from "../../i18n";

const messages: LocaleMessages = {
  en: { "tab.similar": "Similar" },
  ru: { "tab.similar": "Похожие" },
};

export default messages;
