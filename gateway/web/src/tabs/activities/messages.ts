import type { LocaleMessages } from "../../i18n";

const messages: LocaleMessages = {
  en: {
    "tab.activities": "Activities",
    "activitiesTab.add": "Add",
    "activitiesTab.type": "Type",
    "activitiesTab.title": "Subject",
    "activitiesTab.titlePlaceholder": "Call back about the proposal",
    "activitiesTab.due": "Due",
    "activitiesTab.open": "To do",
    "activitiesTab.done": "Done",
    "activitiesTab.none": "No activities yet. Add a task, a call or a meeting above.",
  },
  ru: {
    "tab.activities": "Дела",
    "activitiesTab.add": "Добавить",
    "activitiesTab.type": "Тип",
    "activitiesTab.title": "Тема",
    "activitiesTab.titlePlaceholder": "Перезвонить по предложению",
    "activitiesTab.due": "Срок",
    "activitiesTab.open": "Сделать",
    "activitiesTab.done": "Сделано",
    "activitiesTab.none": "Дел пока нет. Добавьте задачу, звонок или встречу выше.",
  },
};

export default messages;
