import type { LocaleMessages } from "../../i18n";

const messages: LocaleMessages = {
  en: {
    "tab.process": "Process",
    "recordProcess.none": "No process has run for this record.",
    "recordProcess.start": "Start a process",
    "recordProcess.choose": "Process to start",
    "recordProcess.startButton": "Start",
    "recordProcess.noneToStart": "No deployed process starts by hand.",
    "recordProcess.stands": "At: {where}",
    "recordProcess.task": "Task: {name}",
    "recordProcess.open": "Open the instance",
    "recordProcess.show": "Show the diagram and log",
    "recordProcess.hide": "Hide",
    "recordProcess.state.running": "Running",
    "recordProcess.state.waiting": "Waiting",
    "recordProcess.state.completed": "Completed",
    "recordProcess.state.failed": "Failed",
    "recordProcess.state.cancelled": "Cancelled",
  },
  ru: {
    "tab.process": "Процесс",
    "recordProcess.none": "Для этой записи процессы не запускались.",
    "recordProcess.start": "Запустить процесс",
    "recordProcess.choose": "Какой процесс запустить",
    "recordProcess.startButton": "Запустить",
    "recordProcess.noneToStart": "Нет развёрнутых процессов с ручным запуском.",
    "recordProcess.stands": "Сейчас: {where}",
    "recordProcess.task": "Задача: {name}",
    "recordProcess.open": "Открыть экземпляр",
    "recordProcess.show": "Показать схему и журнал",
    "recordProcess.hide": "Скрыть",
    "recordProcess.state.running": "Выполняется",
    "recordProcess.state.waiting": "Ждёт",
    "recordProcess.state.completed": "Завершён",
    "recordProcess.state.failed": "Ошибка",
    "recordProcess.state.cancelled": "Отменён",
  },
};

export default messages;
