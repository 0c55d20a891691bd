import type { LocaleMessages } from "../../i18n";

const messages: LocaleMessages = {
  en: {
    "tab.stageHistory": "History",
    "history.none": "No stage history yet.",
    "history.stage": "Stage",
    "history.entered": "Entered",
    "history.left": "Left",
    "history.time": "Time in stage",
    "history.by": "Moved by",
    "history.skipped": "Skipped",
    "history.current": "current",
  },
  ru: {
    "tab.stageHistory": "История",
    "history.none": "Истории стадий пока нет.",
    "history.stage": "Стадия",
    "history.entered": "Вошла",
    "history.left": "Вышла",
    "history.time": "Время на стадии",
    "history.by": "Кто перевёл",
    "history.skipped": "Пропущена",
    "history.current": "сейчас",
  },
};

export default messages;
