"""BoneLine's vocabulary: every state anything can be in, as an enum (stored as its value)."""

from __future__ import annotations

import enum


class Status(enum.StrEnum):
    """Where a subscriber is in their subscription (moves: `domain.life.TRANSITIONS`)."""

    ENROLLING = "enrolling"
    ACTIVE = "active"
    # Nothing scheduled goes out: until `paused_until` (PAUSE), or, with no date, until the
    # person chooses after a loss. STOP and HELP still work; RESUME ends it.
    PAUSED = "paused"
    STOPPED = "stopped"
    # The program ended (12 months after birth, or 6 after weaning) and said goodbye.
    COMPLETED = "completed"


class EnrollmentStep(enum.StrEnum):
    """The question a person signing up by text was asked last."""

    STAGE = "stage"
    DUE_DATE = "due_date"
    BIRTH_DATE = "birth_date"
    # A due date worked out from weeks or months, or one just past, said back for a yes.
    CONFIRM_DATE = "confirm_date"
    CHANNEL = "channel"
    CONFIRM = "confirm"


class PendingQuestion(enum.StrEnum):
    """The last question we asked a person outside enrollment, until answered or replaced.

    A bare "1" or "YES" means what that question offered (`domain.conversation`); enrollment
    questions have their own column (`EnrollmentStep`).
    """

    CHECKIN = "checkin"  # "Do you have bad back pain?": yes or no
    MENU = "menu"  # the topic list: a number names a topic
    WHICH_TOPIC = "which_topic"  # "Did you mean 1) X or 2) Y?": its two topics are kept with it
    # Life changes (`domain.life`):
    BIRTH = "birth"  # "Has your baby arrived?": YES asks the day, NO means not yet
    FEEDING = "feeding"  # "Are you breastfeeding?": 1 yes, 2 no (skippable)
    LOSS_CHOICE = "loss_choice"  # after a loss: 1 keep bone tips for themselves, 2 stop
    DUE_CHECK = "due_check"  # a new due date said back: YES keeps it (the date is the option)


class Stage(enum.StrEnum):
    """Pregnant (counting to a due date) or postpartum (counting from a birth date)."""

    PREGNANT = "pregnant"
    POSTPARTUM = "postpartum"


class Track(enum.StrEnum):
    """Which reminders a person gets: about the baby and their bones, or self-care only.

    SELF_CARE is for a person after a loss: bone tips that never mention a baby.
    """

    BABY = "baby"
    SELF_CARE = "self_care"


class DayPart(enum.StrEnum):
    """When in the day a person likes their messages, inside the legal send window."""

    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


class Channel(enum.StrEnum):
    """How a subscriber wants their reminders, and how a message travels."""

    SMS = "sms"
    VOICE = "voice"


class Direction(enum.StrEnum):
    """Whether a message came to us or went from us."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class ConsentAction(enum.StrEnum):
    """Consent given or withdrawn, or how and whether we may reach the person changed."""

    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"
    # Reach changes after joining (`domain.life`): texts or calls, a pause and its end, and a
    # loss (no baby text ever again).
    CHANNEL = "channel"
    PAUSE = "pause"
    RESUME = "resume"
    LOSS = "loss"


class ConsentChannel(enum.StrEnum):
    """How consent was given or withdrawn."""

    SMS = "sms"
    VOICE = "voice"
    # Twilio refused a send because the person had replied STOP to the carrier (21610).
    CARRIER = "carrier"


class EscalationSource(enum.StrEnum):
    """Where a red flag was reported."""

    TEXT = "text"
    CALL = "call"


class MessageStatus(enum.StrEnum):
    """Where one logged text or call is: ours first, then Twilio's own statuses.

    Ours: an inbound text is RECEIVED, or HELD when it came while loop protection held our
    replies (STOP, DELETE and red flags in it still count); a reply sent as TwiML is REPLIED
    until its status callback names it; a text the phone line asked for waits in our outbox
    (WAITING), is CLAIMED by one send pass, and is SUBMITTED once Twilio accepted the request and
    gave it a SID. Twilio's callbacks then move it through Twilio's statuses, never backwards
    (`store.messages`).
    """

    RECEIVED = "received"
    HELD = "held"
    REPLIED = "replied"
    WAITING = "waiting"
    CLAIMED = "claimed"
    SUBMITTED = "submitted"
    # Our outbox's own endings: too old to send, no longer wanted, refused by Twilio, or sent
    # when a crash hid the outcome (never sent again).
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    # Something unexpected happened to this one text (Twilio's answer could not be read, or its
    # SID was already on another message): never sent again; `last_error` says what.
    ERROR = "error"
    # Twilio's message statuses.
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELED = "canceled"
    READ = "read"
    # Twilio's call statuses.
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    ANSWERED = "answered"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"


# A callback never moves a message to a lower rank: they arrive out of order and repeated.
SMS_STATUS_RANK: dict[MessageStatus, int] = {
    MessageStatus.ACCEPTED: 1,
    MessageStatus.SCHEDULED: 1,
    MessageStatus.QUEUED: 1,
    MessageStatus.SENDING: 2,
    MessageStatus.SENT: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.UNDELIVERED: 4,
    MessageStatus.FAILED: 4,
    MessageStatus.CANCELED: 4,
    MessageStatus.READ: 5,
}
CALL_STATUS_RANK: dict[MessageStatus, int] = {
    MessageStatus.QUEUED: 1,
    MessageStatus.INITIATED: 2,
    MessageStatus.RINGING: 3,
    MessageStatus.IN_PROGRESS: 4,
    MessageStatus.ANSWERED: 4,
    MessageStatus.COMPLETED: 5,
    MessageStatus.BUSY: 5,
    MessageStatus.NO_ANSWER: 5,
    MessageStatus.FAILED: 5,
    MessageStatus.CANCELED: 5,
}
UNANSWERED_CALL = frozenset({MessageStatus.BUSY, MessageStatus.NO_ANSWER, MessageStatus.FAILED})


class LoopVerdict(enum.StrEnum):
    """What loop protection decides about one inbound text (`domain.loop_guard`)."""

    ANSWER = "answer"
    # The first held text: replies pause now, and we say so once.
    PAUSE = "pause"
    # Inside a pause: no answer (STOP and DELETE still get their one confirmation).
    HOLD = "hold"


class LoopSignal(enum.StrEnum):
    """Why loop protection held a text: what an auto-responder does and a person does not."""

    REPEATED_TEXT = "repeated_text"
    QUICK_REPLIES = "quick_replies"
    HIGH_RATE = "high_rate"
    PAUSED = "paused"


class StaffRole(enum.StrEnum):
    """What a care-team login may do.

    Nurses and admins have their own account (`boneline staff add`) and may show a person's
    number, call and text them; an admin also reads the access log. VIEWER is the shared demo
    password and CARE_TEAM_ACCOUNTS: they may look at the page, never reach the person.
    """

    NURSE = "nurse"
    ADMIN = "admin"
    VIEWER = "viewer"


class ContactKind(enum.StrEnum):
    """How the care team reached a person from an escalation's page."""

    CALL = "call"
    TEXT = "text"


class CallOutcome(enum.StrEnum):
    """How a "Call now" from the care page is going, from both legs' statuses
    (`domain.bridge.call_outcome`): Twilio rings the staff member, then dials the person."""

    PLACING = "placing"  # asked Twilio; nothing reported yet
    NOT_PLACED = "not_placed"  # Twilio refused the request or could not be reached
    RINGING_STAFF = "ringing_staff"
    STAFF_ANSWERED = "staff_answered"  # on the staff member's phone, before the person is dialed
    STAFF_MISSED = "staff_missed"  # the staff member's phone did not answer, was busy or failed
    NOT_CONNECTED = "not_connected"  # the staff member answered but hung up before dialing
    RINGING_PERSON = "ringing_person"
    TALKING = "talking"
    ANSWERED = "answered"  # the person answered; the call is over (it has a duration)
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"


class PlanStatus(enum.StrEnum):
    """Where one planned message is on its way out."""

    PLANNED = "planned"
    CLAIMED = "claimed"  # taken by one send pass, not yet handed to Twilio
    SENDING = "sending"  # handed to Twilio: if the pass dies now, the outcome is unknown
    SENT = "sent"
    UNKNOWN = "unknown"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    # Something unexpected happened to this one message (an unreadable answer, a SID already on
    # another message, an error of ours): never sent again; `last_error` says what.
    ERROR = "error"


class Recipient(enum.StrEnum):
    """Who a planned message goes to."""

    SUBSCRIBER = "subscriber"
    CARE_TEAM = "care_team"


class SendFailure(enum.StrEnum):
    """What a failed REST call means for what we do next."""

    RETRY = "retry"  # nothing was sent (429, 5xx, refused): try again after a pause
    UNKNOWN = "unknown"  # the request may have reached Twilio: never send it again
    OPTED_OUT = "opted_out"  # 21610: the person replied STOP at the carrier
    INVALID_NUMBER = "invalid_number"  # 21211 / 21614: stop texting this number
    REJECTED = "rejected"  # any other refusal: record it and move on
    # An answer we cannot read (not JSON, no SID) or an error of ours mid-send: the request may
    # have gone, so it is never sent again; recorded as an error for a person to look at.
    UNEXPECTED = "unexpected"
