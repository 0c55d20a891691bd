"""How a report's columns read in a file made for people (the xlsx export), in the
languages Osprey speaks (English, Russian): the same words the web app shows."""

from __future__ import annotations

from typing import Any

LOCALES = ("en", "ru")
DEFAULT_LOCALE = "en"

_COMMON = {
    "en": {
        "owner_id": "Owner",
        "team_id": "Team",
        "created_at": "Created",
        "updated_at": "Updated",
        "account_id": "Account",
        "contact_id": "Contact",
        "opportunity_id": "Opportunity",
        "lead_id": "Lead",
        "order_id": "Order",
        "status": "Status",
        "currency": "Currency",
        "total": "Total",
        "subtotal": "Subtotal",
        "tax_total": "Tax",
        "discount_total": "Discount",
        "type": "Type",
    },
    "ru": {
        "owner_id": "Ответственный",
        "team_id": "Команда",
        "created_at": "Создано",
        "updated_at": "Изменено",
        "account_id": "Контрагент",
        "contact_id": "Контакт",
        "opportunity_id": "Сделка",
        "lead_id": "Лид",
        "order_id": "Заказ",
        "status": "Статус",
        "currency": "Валюта",
        "total": "Итого",
        "subtotal": "Без скидки",
        "tax_total": "Налог",
        "discount_total": "Скидка",
        "type": "Тип",
    },
}

_FIELDS: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        "leads": {
            "source": "Source",
            "channel": "Channel",
            "need_type": "Need type",
            "need_maturity": "Need maturity",
            "stage": "Stage",
            "region": "Region",
            "score": "Score",
            "disqualification_reason": "Disqualification reason",
            "utm_source": "UTM source",
            "utm_medium": "UTM medium",
            "utm_campaign": "UTM campaign",
            "account_name": "Account name",
        },
        "opportunities": {
            "stage_id": "Stage",
            "need_type": "Need",
            "amount": "Amount",
            "budget": "Budget",
            "probability": "Probability, %",
            "close_date": "Close date",
            "lost_reason": "Reason lost",
            "stage_entered_at": "In stage since",
        },
        "orders": {"accounting_status": "Accounting"},
        "invoices": {
            "paid_amount": "Paid",
            "due_date": "Due date",
            "issued_at": "Issued",
            "paid_at": "Paid on",
        },
        "activities": {
            "priority": "Priority",
            "start_at": "Starts",
            "due_at": "Due",
            "completed_at": "Completed",
            "related_type": "About a",
            "related_id": "About",
        },
        "accounts": {"industry": "Industry", "parent_id": "Parent account"},
        "contacts": {"job_title": "Job title"},
        "emails": {
            "direction": "Direction",
            "mailbox_id": "Mailbox",
            "sent_at": "Date",
            "linked": "Linked to a record",
            "owner_id": "User",
        },
        "process_instances": {
            "definition_id": "Process",
            "name": "Process",
            "state": "State",
            "record_type": "About a",
            "started_at": "Started",
            "ended_at": "Ended",
        },
        "process_tasks": {
            "name": "Task",
            "state": "State",
            "assignee_id": "Assignee",
            "due_at": "Due",
            "completed_at": "Completed",
            "completed_by": "Completed by",
            "owner_id": "Assignee",
            "instance_id": "Process instance",
        },
    },
    "ru": {
        "leads": {
            "source": "Источник",
            "channel": "Канал",
            "need_type": "Тип потребности",
            "need_maturity": "Зрелость потребности",
            "stage": "Стадия",
            "region": "Регион",
            "score": "Оценка",
            "disqualification_reason": "Причина дисквалификации",
            "utm_source": "UTM source",
            "utm_medium": "UTM medium",
            "utm_campaign": "UTM campaign",
            "account_name": "Контрагент",
        },
        "opportunities": {
            "stage_id": "Стадия",
            "need_type": "Потребность",
            "amount": "Сумма",
            "budget": "Бюджет",
            "probability": "Вероятность, %",
            "close_date": "Дата закрытия",
            "lost_reason": "Причина проигрыша",
            "stage_entered_at": "На стадии с",
        },
        "orders": {"accounting_status": "Учёт"},
        "invoices": {
            "paid_amount": "Оплачено",
            "due_date": "Срок оплаты",
            "issued_at": "Выставлен",
            "paid_at": "Дата оплаты",
        },
        "activities": {
            "priority": "Приоритет",
            "start_at": "Начало",
            "due_at": "Срок",
            "completed_at": "Выполнено",
            "related_type": "Тип записи",
            "related_id": "Запись",
        },
        "accounts": {"industry": "Отрасль", "parent_id": "Головная организация"},
        "contacts": {"job_title": "Должность"},
        "emails": {
            "direction": "Направление",
            "mailbox_id": "Почтовый ящик",
            "sent_at": "Дата",
            "linked": "Связано с записью",
            "owner_id": "Пользователь",
        },
        "process_instances": {
            "definition_id": "Процесс",
            "name": "Процесс",
            "state": "Состояние",
            "record_type": "Тип записи",
            "started_at": "Запущен",
            "ended_at": "Завершён",
        },
        "process_tasks": {
            "name": "Задача",
            "state": "Состояние",
            "assignee_id": "Исполнитель",
            "due_at": "Срок",
            "completed_at": "Выполнена",
            "completed_by": "Кто выполнил",
            "owner_id": "Исполнитель",
            "instance_id": "Экземпляр процесса",
        },
    },
}

_WORDS = {
    "en": {
        "count": "Count",
        "sum": "Sum of {field}",
        "avg": "Average {field}",
        "min": "Lowest {field}",
        "max": "Highest {field}",
        "day": "day",
        "week": "week",
        "month": "month",
        "quarter": "quarter",
        "year": "year",
        "report": "Report",
        "truncated": "Only the first {count} groups are shown.",
    },
    "ru": {
        "count": "Количество",
        "sum": "Сумма: {field}",
        "avg": "Среднее: {field}",
        "min": "Наименьшее: {field}",
        "max": "Наибольшее: {field}",
        "day": "день",
        "week": "неделя",
        "month": "месяц",
        "quarter": "квартал",
        "year": "год",
        "report": "Отчёт",
        "truncated": "Показаны только первые {count} групп.",
    },
}


def locale_of(actor: dict[str, Any] | None) -> str:
    """The caller's language, if Osprey speaks it; English otherwise."""
    locale = str((actor or {}).get("locale") or "").lower()[:2]
    return locale if locale in LOCALES else DEFAULT_LOCALE


def field_label(locale: str, entity: str, name: str) -> str:
    own = _FIELDS[locale].get(entity, {})
    return own.get(name) or _COMMON[locale].get(name) or name


def word(locale: str, key: str, **values: Any) -> str:
    return _WORDS[locale][key].format(**values)


def group_label(locale: str, entity: str, name: str, bucket: str | None) -> str:
    label = field_label(locale, entity, name)
    return f"{label} ({word(locale, bucket)})" if bucket else label


def measure_label(locale: str, entity: str, fn: str, name: str | None) -> str:
    if fn == "count":
        return word(locale, "count")
    return word(locale, fn, field=field_label(locale, entity, name or ""))
