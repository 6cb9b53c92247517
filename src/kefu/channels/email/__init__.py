"""The email channel: inbound mail -> conversations, notifications -> SMTP.

Independent of the database: `find_thread` takes a lookup the actions layer provides.
"""

from kefu.channels.email.inbound import (
    EmailAttachment,
    InboundEmail,
    message_ids,
    normalize_message_id,
    parse_email,
)
from kefu.channels.email.inbound_server import (
    InboundDelivery,
    InboundMailHandler,
    make_inbound_controller,
)
from kefu.channels.email.loop_detection import LOOP_HEADER
from kefu.channels.email.outbound import (
    EmailSendError,
    EmailSendPermanentError,
    EmailSendTemporaryError,
    NotificationKind,
    SendResult,
    SmtpSecurity,
    SmtpSender,
    SmtpSettings,
    compose_notification,
)
from kefu.channels.email.threading import (
    MatchedBy,
    ThreadDecision,
    ThreadKey,
    ThreadLookup,
    find_thread,
    thread_keys,
)
from kefu.channels.email.ticket_number import find_ticket_number

__all__ = [
    "LOOP_HEADER",
    "EmailAttachment",
    "EmailSendError",
    "EmailSendPermanentError",
    "EmailSendTemporaryError",
    "InboundDelivery",
    "InboundEmail",
    "InboundMailHandler",
    "MatchedBy",
    "NotificationKind",
    "SendResult",
    "SmtpSecurity",
    "SmtpSender",
    "SmtpSettings",
    "ThreadDecision",
    "ThreadKey",
    "ThreadLookup",
    "compose_notification",
    "find_thread",
    "find_ticket_number",
    "make_inbound_controller",
    "message_ids",
    "normalize_message_id",
    "parse_email",
    "thread_keys",
]
