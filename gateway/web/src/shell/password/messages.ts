import type { LocaleMessages } from "../../i18n";

// Choosing a new password: at the first sign-in with a temporary password (or when an
// administrator asked for it), and from Settings at any time.
const messages: LocaleMessages = {
  en: {
    "password.required.title": "Choose your own password",
    "password.required.intro":
      "Your password was made by an administrator. Choose one only you know before you carry on.",
    "password.change.title": "Password",
    "password.change.intro": "Choose a new password. Your other sessions end; this one stays signed in.",
    "password.new": "New password",
    "password.repeat": "New password again",
    "password.hint": "At least 10 characters, hard to guess: not your name or email.",
    "password.mismatch": "The two passwords are not the same.",
    "password.submit": "Save the password",
    "password.busy": "Saving…",
    "password.saved": "Your new password is saved.",
    "password.failed": "The password could not be saved. Try again.",
    "password.signOut": "Sign out",
  },
  ru: {
    "password.required.title": "Придумайте свой пароль",
    "password.required.intro":
      "Ваш пароль задал администратор. Прежде чем продолжить, придумайте пароль, который знаете только вы.",
    "password.change.title": "Пароль",
    "password.change.intro": "Задайте новый пароль. Другие ваши сеансы завершатся, этот останется.",
    "password.new": "Новый пароль",
    "password.repeat": "Новый пароль ещё раз",
    "password.hint": "Не короче 10 символов и трудный для подбора: не имя и не email.",
    "password.mismatch": "Пароли не совпадают.",
    "password.submit": "Сохранить пароль",
    "password.busy": "Сохраняем…",
    "password.saved": "Новый пароль сохранён.",
    "password.failed": "Не удалось сохранить пароль. Попробуйте ещё раз.",
    "password.signOut": "Выйти",
  },
};

export default messages;
