// Administration → Inbound bus: its words.
import type { LocaleMessages } from "../../i18n";

const messages: LocaleMessages = {
  en: {
    "admin.inboundBus": "Inbound bus",
    "inbound.title": "Refused messages",
    "inbound.intro": "Messages partners' systems published to the inbound bus that were refused, with the reason. Send one again once what it needs is fixed (it is applied, or refused again), or discard it.",
    "inbound.none": "No refused messages.",
    "inbound.received": "Received",
    "inbound.routingKey": "Routing key",
    "inbound.messageId": "Message id",
    "inbound.reason": "Reason",
    "inbound.body": "Message ({size} bytes)",
    "inbound.resend": "Send again",
    "inbound.discard": "Discard",
    "inbound.confirmDiscard": "Discard this message for good?",
    "inbound.resent": "Sent again to the bus.",
    "inbound.discarded": "Discarded.",
    "inbound.more": "Show more",
    "inbound.refresh": "Refresh",
  },
  ru: {
    "admin.inboundBus": "Шина входящих",
    "inbound.title": "Отклонённые сообщения",
    "inbound.intro": "Сообщения, которые системы партнёров отправили во входящую шину и которые были отклонены, с причиной. Отправьте сообщение снова, когда нужное ему исправлено (оно будет принято или снова отклонено), или удалите его.",
    "inbound.none": "Отклонённых сообщений нет.",
    "inbound.received": "Получено",
    "inbound.routingKey": "Ключ маршрутизации",
    "inbound.messageId": "Идентификатор сообщения",
    "inbound.reason": "Причина",
    "inbound.body": "Сообщение ({size} байт)",
    "inbound.resend": "Отправить снова",
    "inbound.discard": "Удалить",
    "inbound.confirmDiscard": "Удалить это сообщение насовсем?",
    "inbound.resent": "Снова отправлено в шину.",
    "inbound.discarded": "Удалено.",
    "inbound.more": "Показать ещё",
    "inbound.refresh": "Обновить",
  },
};

export default messages;
