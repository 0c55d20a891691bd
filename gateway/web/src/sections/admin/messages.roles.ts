// The words of making, renaming and deleting roles (Administration → Roles).
import type { LocaleMessages } from "../../i18n";

const messages: LocaleMessages = {
  en: {
    "roles.new": "New role",
    "roles.newTitle": "New role",
    "roles.renameTitle": "Rename “{name}”",
    "roles.rename": "Rename",
    "roles.delete": "Delete role",
    "roles.name": "Name",
    "roles.basedOn": "Start from the rights of",
    "roles.basedOnNone": "No role: it grants nothing until you set its rights",
    "roles.created": "The role {name} was created. Set its rights below.",
    "roles.renamed": "The role is now called {name}.",
    "roles.deleted": "The role {name} was deleted.",
    "roles.inUse": "The role “{name}” is still held by {names}. Give them another role on the Users page first.",
    "roles.nameTaken": "Another role already has this name.",
    "roles.seeded": "This is one of Osprey's own roles: it keeps its name and cannot be deleted.",
    "roles.reserved": "This name is reserved for Osprey.",
    "roles.own": "A role of your own",
  },
  ru: {
    "roles.new": "Новая роль",
    "roles.newTitle": "Новая роль",
    "roles.renameTitle": "Переименовать «{name}»",
    "roles.rename": "Переименовать",
    "roles.delete": "Удалить роль",
    "roles.name": "Название",
    "roles.basedOn": "Начать с прав роли",
    "roles.basedOnNone": "Без роли: она ничего не даёт, пока вы не зададите права",
    "roles.created": "Роль {name} создана. Задайте её права ниже.",
    "roles.renamed": "Теперь роль называется {name}.",
    "roles.deleted": "Роль {name} удалена.",
    "roles.inUse": "Роль «{name}» всё ещё есть у: {names}. Сначала дайте им другую роль на странице «Пользователи».",
    "roles.nameTaken": "Роль с таким названием уже есть.",
    "roles.seeded": "Это одна из встроенных ролей Osprey: её нельзя переименовать или удалить.",
    "roles.reserved": "Это название зарезервировано Osprey.",
    "roles.own": "Ваша роль",
  },
};

export default messages;
