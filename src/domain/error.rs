//! Refusals of the domain, each with a stable snake_case code that the API shows as is.

/// Why the hall refused a command. `code()` is the stable API code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("unknown queue {0}")]
    UnknownQueue(String),
    #[error("unknown window {0}")]
    UnknownWindow(u32),
    #[error("unknown ticket {0}")]
    UnknownTicket(String),
    #[error("queue {0} is not issuing now")]
    QueueClosed(String),
    #[error("quota of queue {0} is exhausted")]
    QuotaExhausted(String),
    #[error("this person already has an open ticket in queue {0}")]
    DuplicateTicket(String),
    #[error("invalid ID number")]
    InvalidIdNumber,
    #[error("queue {0} needs an ID number")]
    IdNumberRequired(String),
    #[error("invalid phone number")]
    InvalidPhone,
    #[error("window {0} is not open")]
    WindowNotOpen(u32),
    #[error("window {0} is paused")]
    WindowPaused(u32),
    #[error("window {0} is already signed in by someone else")]
    WindowTaken(u32),
    #[error("clerk is already signed in at window {0}")]
    ClerkElsewhere(u32),
    #[error("window {0} still has a ticket in hand")]
    WindowBusy(u32),
    #[error("window {0} has no current ticket")]
    NoCurrentTicket(u32),
    #[error("the recall limit is reached")]
    RecallLimit,
    #[error("ticket is {state}, cannot {op}")]
    InvalidState {
        state: &'static str,
        op: &'static str,
    },
    #[error("ticket {0} is not waiting for this window")]
    NotCallable(String),
    #[error("ticket {0} is not held at this window")]
    NotHeld(String),
    #[error("a reason is required")]
    ReasonRequired,
    #[error("the reason is too long")]
    ReasonTooLong,
    /// Control or bidirectional-override characters in free text (they can hide or reorder
    /// what a manager reads in the audit trail and reports).
    #[error("the text holds control or direction characters")]
    InvalidText,
    /// A rating reason that is not one of the hall's `[ratings] bad_reasons`.
    #[error("unknown rating reason {0:?}")]
    UnknownRatingReason(String),
    #[error("transfer needs a target queue or window")]
    TransferTarget,
    #[error("a clerk may act only at the window they are signed into")]
    NotYourWindow(u32),
    #[error("not allowed")]
    Forbidden,
    #[error("the service is not finished")]
    NotFinished,
    #[error("this visit is already rated")]
    AlreadyRated,
    #[error("the rating period is over")]
    RatingClosed,
    /// A rating sent with the idempotency key of the visit's stored rating, but saying
    /// something else: the client reused a key (a resend is always the same rating).
    #[error("this rating's key was already used for a different rating of the visit")]
    RatingKeyReused,
    #[error("unknown follow-up {0}")]
    UnknownFollowUp(i64),
    // ---- appointments (预约) ----
    #[error("queue {0} takes no appointments")]
    AppointmentsNotOffered(String),
    #[error("the slot is full")]
    SlotFull,
    #[error("no such slot can be booked")]
    SlotUnavailable,
    #[error("this person already has a booking in that queue that day")]
    AlreadyBooked,
    #[error("online booking suspended until {0}")]
    BookingSuspended(String),
    #[error("no active booking today for that code or ID")]
    UnknownAppointment,
    #[error("check-in opens at {0}")]
    TooEarly(String),
    #[error("the check-in time is over")]
    TooLate,
    #[error("only check-ins issue tickets now (extended hours)")]
    AppointmentsOnly(String),
    #[error("that priority cannot be asked for")]
    InvalidPriority,
    /// A pause's return time that is not a time, already past, or not today.
    #[error("invalid return time {0}")]
    InvalidUntil(String),
    // ---- accounts, devices and sessions (accounts.rs) ----
    #[error("unknown user {0}")]
    UnknownUser(String),
    #[error("user {0} exists already")]
    UserExists(String),
    #[error("a username is 2-32 of a-z, 0-9, . _ -")]
    InvalidUsername,
    #[error("a name is 1-32 characters")]
    InvalidName,
    #[error("an admin cannot disable their own account")]
    CannotDisableSelf,
    #[error("an admin cannot change their own role")]
    CannotChangeOwnRole,
    #[error("unknown device {0}")]
    UnknownDevice(String),
    #[error("device {0} exists already")]
    DeviceExists(String),
    #[error("device {0} is revoked")]
    DeviceRevoked(String),
    #[error("a device id is 2-32 of a-z, 0-9, . _ -")]
    InvalidDeviceId,
    #[error("this kind of device needs its window")]
    WindowRequired,
    #[error("no such account or session")]
    Unauthenticated,
    #[error("window {0} is outside the clerk's scope")]
    OutsideScope(u32),
    // ---- the clerk's card on the window screen (staff_card.rs) ----
    #[error("a staff number is 1-16 of A-Z, a-z, 0-9, -")]
    InvalidStaffNo,
    #[error("staff number {0} is already on {1}'s card")]
    StaffNoTaken(String, String),
    #[error("a photo is a JPEG or a PNG")]
    UnsupportedPhotoType,
    #[error("the photo is too large")]
    PhotoTooLarge,
    #[error("the photo's size or shape does not fit a window screen: {0}")]
    InvalidPhoto(String),
    /// An appeal is decided by a manager other than the one who filed it.
    #[error("a second manager must decide this appeal")]
    SecondManagerRequired,
}

impl DomainError {
    /// The stable code shown in the API's error shape.
    pub fn code(&self) -> &'static str {
        use DomainError::*;
        match self {
            UnknownQueue(_) => "unknown_queue",
            UnknownWindow(_) => "unknown_window",
            UnknownTicket(_) => "unknown_ticket",
            QueueClosed(_) => "queue_closed",
            QuotaExhausted(_) => "quota_exhausted",
            DuplicateTicket(_) => "duplicate_ticket",
            InvalidIdNumber => "invalid_id_number",
            IdNumberRequired(_) => "id_number_required",
            InvalidPhone => "invalid_phone",
            WindowNotOpen(_) => "window_not_open",
            WindowPaused(_) => "window_paused",
            WindowTaken(_) => "window_taken",
            ClerkElsewhere(_) => "clerk_elsewhere",
            WindowBusy(_) => "window_busy",
            NoCurrentTicket(_) => "no_current_ticket",
            RecallLimit => "recall_limit",
            InvalidState { .. } => "invalid_state",
            NotCallable(_) => "ticket_not_callable",
            NotHeld(_) => "ticket_not_held",
            ReasonRequired => "reason_required",
            ReasonTooLong => "reason_too_long",
            InvalidText => "invalid_text",
            UnknownRatingReason(_) => "invalid_reason",
            TransferTarget => "transfer_target_required",
            NotYourWindow(_) => "not_your_window",
            Forbidden => "forbidden",
            NotFinished => "not_finished",
            AlreadyRated => "already_rated",
            RatingClosed => "rating_closed",
            RatingKeyReused => "rating_key_reused",
            UnknownFollowUp(_) => "unknown_follow_up",
            AppointmentsNotOffered(_) => "appointments_not_offered",
            SlotFull => "slot_full",
            SlotUnavailable => "slot_unavailable",
            AlreadyBooked => "already_booked",
            BookingSuspended(_) => "booking_suspended",
            UnknownAppointment => "unknown_appointment",
            TooEarly(_) => "too_early",
            TooLate => "too_late",
            AppointmentsOnly(_) => "appointments_only",
            InvalidPriority => "invalid_priority",
            InvalidUntil(_) => "invalid_until",
            UnknownUser(_) | UnknownDevice(_) => "not_found",
            UserExists(_) => "user_exists",
            InvalidUsername => "invalid_username",
            InvalidName => "invalid_name",
            CannotDisableSelf => "cannot_disable_self",
            CannotChangeOwnRole => "cannot_change_own_role",
            DeviceExists(_) => "device_exists",
            DeviceRevoked(_) => "device_revoked",
            InvalidDeviceId => "invalid_device_id",
            WindowRequired => "window_required",
            Unauthenticated => "unauthenticated",
            OutsideScope(_) => "outside_scope",
            InvalidStaffNo => "invalid_staff_no",
            StaffNoTaken(..) => "staff_no_taken",
            UnsupportedPhotoType => "unsupported_photo_type",
            PhotoTooLarge => "photo_too_large",
            InvalidPhoto(_) => "invalid_photo",
            SecondManagerRequired => "second_manager_required",
        }
    }

    /// A detail worth showing a person beside the message (the queue, window or number).
    pub fn detail(&self) -> Option<String> {
        use DomainError::*;
        match self {
            UnknownQueue(s)
            | UnknownTicket(s)
            | QueueClosed(s)
            | QuotaExhausted(s)
            | DuplicateTicket(s)
            | IdNumberRequired(s)
            | NotCallable(s)
            | NotHeld(s)
            | AppointmentsNotOffered(s)
            | BookingSuspended(s)
            | TooEarly(s)
            | InvalidUntil(s)
            | UnknownRatingReason(s)
            | UnknownUser(s)
            | UserExists(s)
            | UnknownDevice(s)
            | DeviceExists(s)
            | DeviceRevoked(s)
            | InvalidPhoto(s) => Some(s.clone()),
            UnknownWindow(n) | WindowNotOpen(n) | WindowPaused(n) | WindowTaken(n)
            | ClerkElsewhere(n) | WindowBusy(n) | NoCurrentTicket(n) | NotYourWindow(n)
            | OutsideScope(n) => Some(n.to_string()),
            InvalidState { state, .. } => Some((*state).to_string()),
            UnknownFollowUp(id) => Some(id.to_string()),
            StaffNoTaken(no, holder) => Some(format!("{no}（{holder}）")),
            _ => None,
        }
    }
}
