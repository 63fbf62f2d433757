//! Staff accounts, devices and sessions as commands of the one writer: who may ask, what each
//! command checks, the events it records (staff audience only: see `audience`) and the rows it
//! changes. Pure: the caller reads the rows concerned first (`AccountFacts`), and the slow
//! Argon2 work (hashing, checking a password) is done before the command, never in here.
//! The engine runs these for the server; the CLI runs the same `decide` for its own writes.

use serde::{Deserialize, Serialize};

use super::error::DomainError;
use super::event::Event;
use super::hall::Actor;
use super::reason::{from_wire_name, wire_name};
use super::staff_card::StaffPhoto;

/// A staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Clerk,
    Manager,
    Admin,
}

impl Role {
    /// Parse the wire name (`clerk`, `manager`, `admin`); anything else is `None`.
    pub fn parse(s: &str) -> Option<Role> {
        from_wire_name(s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&wire_name(self))
    }
}

/// What a registered device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// A ticket machine (取号机): issues tickets, prints slips.
    Kiosk,
    /// A wall or window screen: reads the public stream, never refused a slot.
    Display,
    /// The rating pad at one window (评价器).
    Evaluator,
    /// Another system pushing bookings (the provincial online hall).
    Integrator,
}

impl DeviceKind {
    /// Parse the wire name; anything else is `None`.
    pub fn parse(s: &str) -> Option<DeviceKind> {
        from_wire_name(s)
    }

    /// Whether a device of this kind belongs to one window (and must name it).
    pub fn needs_window(self) -> bool {
        self == DeviceKind::Evaluator
    }
}

impl std::fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&wire_name(self))
    }
}

/// Usernames and device ids: 2-32 of a-z, 0-9, `.`, `_`, `-`.
pub fn valid_login(s: &str) -> bool {
    (2..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// Longest display name, in characters.
pub const MAX_NAME: usize = 32;

/// A display name, trimmed: 1-32 characters of plain text.
pub fn checked_name(name: &str) -> Result<String, DomainError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(DomainError::InvalidName);
    }
    super::reason::plain_text(name)?;
    Ok(name.to_string())
}

/// Something asked of the accounts, in the imperative. Secrets arrive hashed.
#[derive(Debug, Clone)]
pub enum AccountCommand {
    AddUser {
        username: String,
        name: String,
        role: Role,
        password_hash: String,
        /// Scope as stored (`1-11,20`, `gaj,mzj`; empty: any).
        windows: String,
        departments: String,
    },
    /// Disable (ending every session, signing out every window) or enable an account.
    SetDisabled {
        username: String,
        disabled: bool,
    },
    ResetPassword {
        username: String,
        password_hash: String,
    },
    SetScope {
        username: String,
        windows: String,
        departments: String,
    },
    /// Change the display name and/or the role.
    EditUser {
        username: String,
        name: Option<String>,
        role: Option<Role>,
    },
    /// Set (`Some`) or clear the staff number (工号) shown on the clerk's window screen;
    /// checked with `staff_card::checked_staff_no` before the command.
    SetStaffNo {
        username: String,
        staff_no: Option<String>,
    },
    /// Set or remove the clerk's photo, checked with `staff_card::check_photo` before.
    SetPhoto {
        username: String,
        photo: Option<Box<StaffPhoto>>,
    },
    RegisterDevice {
        id: String,
        kind: DeviceKind,
        window: Option<u32>,
        token_hash: String,
    },
    RevokeDevice {
        id: String,
    },
    /// A new token for a device (the old one stops working at once).
    ReplaceDeviceToken {
        id: String,
        token_hash: String,
    },
    /// A session for a user whose password was checked before the command.
    LogIn {
        username: String,
        token_hash: String,
        expires_ms: i64,
    },
    LogOut {
        token_hash: String,
    },
}

/// Which stored row a command is about, so the caller can read it first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    User(&'a str),
    /// A user, and whoever else already carries this staff number on their card.
    StaffNo {
        username: &'a str,
        staff_no: &'a str,
    },
    Device(&'a str),
    Session(&'a str),
}

impl AccountCommand {
    pub fn subject(&self) -> Subject<'_> {
        use AccountCommand::*;
        match self {
            AddUser { username, .. }
            | SetDisabled { username, .. }
            | ResetPassword { username, .. }
            | SetScope { username, .. }
            | EditUser { username, .. }
            | SetStaffNo {
                username,
                staff_no: None,
            }
            | SetPhoto { username, .. }
            | LogIn { username, .. } => Subject::User(username),
            RegisterDevice { id, .. } | RevokeDevice { id } | ReplaceDeviceToken { id, .. } => {
                Subject::Device(id)
            }
            SetStaffNo {
                username,
                staff_no: Some(no),
            } => Subject::StaffNo {
                username,
                staff_no: no,
            },
            LogOut { token_hash } => Subject::Session(token_hash),
        }
    }
}

/// A staff account as stored (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFacts {
    pub username: String,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    /// Allowed windows, e.g. `1-11,20` (none: any).
    pub windows: Option<String>,
    /// Allowed departments, e.g. `gaj,mzj` (none: any).
    pub departments: Option<String>,
}

/// A registered device as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceFacts {
    pub id: String,
    pub kind: DeviceKind,
    pub revoked: bool,
    /// The window an evaluator belongs to.
    pub window: Option<u32>,
}

/// The stored row a command is about, read just before it is decided.
#[derive(Debug, Clone, Default)]
pub struct AccountFacts {
    pub user: Option<UserFacts>,
    pub device: Option<DeviceFacts>,
    /// For a logout: whose session the token opened (none: no such session).
    pub session_user: Option<String>,
    /// For a staff number: the other user whose card already carries it.
    pub staff_no_holder: Option<String>,
}

/// A row to write, in the order given, in the command's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountChange {
    InsertUser {
        user: UserFacts,
        password_hash: String,
        created_ms: i64,
    },
    /// Everything but the password hash.
    UpdateUser(UserFacts),
    SetPassword {
        username: String,
        password_hash: String,
    },
    /// The staff number on the user's card (`None`: cleared).
    SetStaffNo {
        username: String,
        staff_no: Option<String>,
    },
    /// The photo on the user's card (`None`: removed).
    SetPhoto {
        username: String,
        photo: Option<Box<StaffPhoto>>,
    },
    /// End every session of a user.
    EndSessions {
        username: String,
    },
    InsertDevice {
        device: DeviceFacts,
        token_hash: String,
        created_ms: i64,
    },
    RevokeDevice {
        id: String,
    },
    SetDeviceToken {
        id: String,
        token_hash: String,
    },
    /// A new session. Expired ones are not cleared here: the sweep (`expire_sessions`)
    /// removes each with its `session.expired` event.
    InsertSession {
        token_hash: String,
        username: String,
        created_ms: i64,
        expires_ms: i64,
    },
    DeleteSession {
        token_hash: String,
    },
}

/// What an account command answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountReply {
    /// The user as it now stands; `signed_out_windows` for a disable.
    User {
        user: UserFacts,
        signed_out_windows: Vec<u32>,
    },
    Device(DeviceFacts),
    /// A session was opened for this user.
    LoggedIn(UserFacts),
    LoggedOut,
}

/// A decided account command: its reply, events and rows.
#[derive(Debug)]
pub struct Decided {
    pub reply: AccountReply,
    pub events: Vec<Event>,
    pub changes: Vec<AccountChange>,
}

/// Who may administer accounts and devices: an admin, or the CLI at the server's console.
fn require_admin(actor: &Actor) -> Result<(), DomainError> {
    match actor {
        Actor::Staff {
            role: Role::Admin, ..
        }
        | Actor::Cli => Ok(()),
        _ => Err(DomainError::Forbidden),
    }
}

fn own_account(actor: &Actor, username: &str) -> bool {
    matches!(actor, Actor::Staff { username: me, .. } if me == username)
}

fn scope_text(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Check `cmd` against the stored row in `facts` and say what changes. `signed_out_windows`
/// (for a disable) are the windows the caller signs the user out of in the same commit.
pub fn decide(
    actor: &Actor,
    cmd: AccountCommand,
    facts: AccountFacts,
    signed_out_windows: Vec<u32>,
    now_ms: i64,
) -> Result<Decided, DomainError> {
    use AccountCommand::*;
    let found = |f: Option<UserFacts>, who: &str| f.ok_or(DomainError::UnknownUser(who.into()));
    let decided = |reply, events, changes| Decided {
        reply,
        events,
        changes,
    };
    let user_reply = |user: UserFacts| AccountReply::User {
        user,
        signed_out_windows: Vec::new(),
    };
    match cmd {
        AddUser {
            username,
            name,
            role,
            password_hash,
            windows,
            departments,
        } => {
            require_admin(actor)?;
            if !valid_login(&username) {
                return Err(DomainError::InvalidUsername);
            }
            if facts.user.is_some() {
                return Err(DomainError::UserExists(username));
            }
            let user = UserFacts {
                name: checked_name(&name)?,
                username,
                role,
                disabled: false,
                windows: scope_text(&windows),
                departments: scope_text(&departments),
            };
            Ok(decided(
                user_reply(user.clone()),
                vec![Event::UserCreated {
                    username: user.username.clone(),
                    name: user.name.clone(),
                    role,
                }],
                vec![AccountChange::InsertUser {
                    user,
                    password_hash,
                    created_ms: now_ms,
                }],
            ))
        }
        SetDisabled { username, disabled } => {
            require_admin(actor)?;
            if disabled && own_account(actor, &username) {
                return Err(DomainError::CannotDisableSelf);
            }
            let mut user = found(facts.user, &username)?;
            user.disabled = disabled;
            let mut changes = vec![AccountChange::UpdateUser(user.clone())];
            let event = if disabled {
                changes.push(AccountChange::EndSessions {
                    username: username.clone(),
                });
                Event::UserDisabled {
                    username,
                    signed_out_windows: signed_out_windows.clone(),
                }
            } else {
                Event::UserEnabled { username }
            };
            Ok(decided(
                AccountReply::User {
                    user,
                    signed_out_windows,
                },
                vec![event],
                changes,
            ))
        }
        ResetPassword {
            username,
            password_hash,
        } => {
            require_admin(actor)?;
            let user = found(facts.user, &username)?;
            Ok(decided(
                user_reply(user),
                vec![Event::UserPasswordReset {
                    username: username.clone(),
                }],
                vec![
                    AccountChange::SetPassword {
                        username: username.clone(),
                        password_hash,
                    },
                    AccountChange::EndSessions { username },
                ],
            ))
        }
        SetScope {
            username,
            windows,
            departments,
        } => {
            require_admin(actor)?;
            let mut user = found(facts.user, &username)?;
            user.windows = scope_text(&windows);
            user.departments = scope_text(&departments);
            Ok(decided(
                user_reply(user.clone()),
                vec![Event::UserScopeChanged {
                    username,
                    windows: user.windows.clone(),
                    departments: user.departments.clone(),
                }],
                vec![AccountChange::UpdateUser(user)],
            ))
        }
        EditUser {
            username,
            name,
            role,
        } => {
            require_admin(actor)?;
            let mut user = found(facts.user, &username)?;
            let before = user.clone();
            if let Some(name) = name {
                user.name = checked_name(&name)?;
            }
            if let Some(role) = role {
                // An admin who demoted themselves could leave the hall with no admin at all.
                if role != user.role && own_account(actor, &username) {
                    return Err(DomainError::CannotChangeOwnRole);
                }
                user.role = role;
            }
            if user == before {
                return Ok(decided(user_reply(user), Vec::new(), Vec::new()));
            }
            let mut changes = vec![AccountChange::UpdateUser(user.clone())];
            if user.role != before.role {
                // A session carries the role it was opened with: the new role needs a new login.
                changes.push(AccountChange::EndSessions {
                    username: username.clone(),
                });
            }
            Ok(decided(
                user_reply(user.clone()),
                vec![Event::UserEdited {
                    username,
                    name: user.name,
                    role: user.role,
                    previous_name: before.name,
                    previous_role: before.role,
                }],
                changes,
            ))
        }
        SetStaffNo { username, staff_no } => {
            require_admin(actor)?;
            let user = found(facts.user, &username)?;
            // A 工号 names one person: the appraisal and the window card go by it.
            if let (Some(no), Some(holder)) = (&staff_no, facts.staff_no_holder) {
                return Err(DomainError::StaffNoTaken(no.clone(), holder));
            }
            Ok(decided(
                user_reply(user),
                vec![Event::UserStaffNoSet {
                    username: username.clone(),
                    staff_no: staff_no.clone(),
                }],
                vec![AccountChange::SetStaffNo { username, staff_no }],
            ))
        }
        SetPhoto { username, photo } => {
            require_admin(actor)?;
            let user = found(facts.user, &username)?;
            Ok(decided(
                user_reply(user),
                vec![Event::UserPhotoSet {
                    username: username.clone(),
                    photo: photo.as_ref().map(|p| p.etag.clone()),
                }],
                vec![AccountChange::SetPhoto { username, photo }],
            ))
        }
        RegisterDevice {
            id,
            kind,
            window,
            token_hash,
        } => {
            require_admin(actor)?;
            if !valid_login(&id) {
                return Err(DomainError::InvalidDeviceId);
            }
            if kind.needs_window() && window.is_none() {
                return Err(DomainError::WindowRequired);
            }
            if facts.device.is_some() {
                return Err(DomainError::DeviceExists(id));
            }
            let device = DeviceFacts {
                id,
                kind,
                revoked: false,
                window,
            };
            Ok(decided(
                AccountReply::Device(device.clone()),
                vec![Event::DeviceRegistered {
                    id: device.id.clone(),
                    kind,
                    window,
                }],
                vec![AccountChange::InsertDevice {
                    device,
                    token_hash,
                    created_ms: now_ms,
                }],
            ))
        }
        RevokeDevice { id } => {
            require_admin(actor)?;
            let mut device = facts.device.ok_or(DomainError::UnknownDevice(id.clone()))?;
            device.revoked = true;
            Ok(decided(
                AccountReply::Device(device),
                vec![Event::DeviceRevoked { id: id.clone() }],
                vec![AccountChange::RevokeDevice { id }],
            ))
        }
        ReplaceDeviceToken { id, token_hash } => {
            require_admin(actor)?;
            let device = facts.device.ok_or(DomainError::UnknownDevice(id.clone()))?;
            if device.revoked {
                return Err(DomainError::DeviceRevoked(id));
            }
            Ok(decided(
                AccountReply::Device(device),
                vec![Event::DeviceTokenReplaced { id: id.clone() }],
                vec![AccountChange::SetDeviceToken { id, token_hash }],
            ))
        }
        LogIn {
            username,
            token_hash,
            expires_ms,
        } => {
            // Checked again here: the account may have been disabled since its password was.
            let user = facts
                .user
                .filter(|u| !u.disabled)
                .ok_or(DomainError::Unauthenticated)?;
            Ok(decided(
                AccountReply::LoggedIn(user),
                vec![Event::SessionStarted {
                    username: username.clone(),
                }],
                vec![AccountChange::InsertSession {
                    token_hash,
                    username,
                    created_ms: now_ms,
                    expires_ms,
                }],
            ))
        }
        LogOut { token_hash } => {
            let username = facts.session_user.ok_or(DomainError::Unauthenticated)?;
            Ok(decided(
                AccountReply::LoggedOut,
                vec![Event::SessionEnded { username }],
                vec![AccountChange::DeleteSession { token_hash }],
            ))
        }
    }
}

/// A stored session whose end has come, as the writer's sweep reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LapsedSession {
    pub token_hash: String,
    pub username: String,
    /// When it ended, unix ms on the hall clock.
    pub expires_ms: i64,
}

/// The sweep of sessions past their end: each is removed with a `session.expired` event, in
/// the commit that records it, so the audit says how every session ended and a restart finds
/// nothing left to record twice. A request with such a token is refused (401) from its end on,
/// swept or not (`store::auth::session` checks the time). Sessions still live are not given.
pub fn expire_sessions(
    lapsed: Vec<LapsedSession>,
    tz: &jiff::tz::TimeZone,
) -> (Vec<Event>, Vec<AccountChange>) {
    lapsed
        .into_iter()
        .map(|s| {
            let ended = jiff::Timestamp::from_millisecond(s.expires_ms)
                .map(|t| super::event::rfc3339(t, tz))
                .unwrap_or_default();
            (
                Event::SessionExpired {
                    username: s.username,
                    expired_at: ended,
                },
                AccountChange::DeleteSession {
                    token_hash: s.token_hash,
                },
            )
        })
        .unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin() -> Actor {
        Actor::Staff {
            username: "root".into(),
            name: "管理员".into(),
            role: Role::Admin,
        }
    }

    fn manager() -> Actor {
        Actor::Staff {
            username: "boss".into(),
            name: "王主任".into(),
            role: Role::Manager,
        }
    }

    fn clerk_row() -> UserFacts {
        UserFacts {
            username: "clerk1".into(),
            name: "李红".into(),
            role: Role::Clerk,
            disabled: false,
            windows: None,
            departments: None,
        }
    }

    fn with_user(u: UserFacts) -> AccountFacts {
        AccountFacts {
            user: Some(u),
            ..AccountFacts::default()
        }
    }

    #[test]
    fn names_are_the_serde_names_and_parse_back() {
        for r in [Role::Clerk, Role::Manager, Role::Admin] {
            assert_eq!(Role::parse(&r.to_string()), Some(r));
        }
        for k in [
            DeviceKind::Kiosk,
            DeviceKind::Display,
            DeviceKind::Evaluator,
            DeviceKind::Integrator,
        ] {
            assert_eq!(DeviceKind::parse(&k.to_string()), Some(k));
        }
        assert_eq!(DeviceKind::Kiosk.to_string(), "kiosk");
        assert_eq!(Role::parse("Admin"), None);
        assert_eq!(DeviceKind::parse("printer"), None);
    }

    #[test]
    fn only_an_admin_or_the_cli_administers_and_a_refusal_changes_nothing() {
        let cmd = || AccountCommand::SetDisabled {
            username: "clerk1".into(),
            disabled: true,
        };
        for who in [manager(), Actor::Citizen, Actor::System] {
            let e = decide(&who, cmd(), with_user(clerk_row()), vec![], 0).expect_err("refused");
            assert_eq!(e, DomainError::Forbidden, "{who:?}");
        }
        for who in [admin(), Actor::Cli] {
            let d = decide(&who, cmd(), with_user(clerk_row()), vec![3], 0).expect("allowed");
            assert_eq!(
                d.events,
                [Event::UserDisabled {
                    username: "clerk1".into(),
                    signed_out_windows: vec![3]
                }]
            );
            assert!(d.changes.contains(&AccountChange::EndSessions {
                username: "clerk1".into()
            }));
        }
    }

    #[test]
    fn an_admin_keeps_their_own_account_and_role() {
        let me = UserFacts {
            username: "root".into(),
            role: Role::Admin,
            ..clerk_row()
        };
        let off = AccountCommand::SetDisabled {
            username: "root".into(),
            disabled: true,
        };
        assert_eq!(
            decide(&admin(), off, with_user(me.clone()), vec![], 0).expect_err("self"),
            DomainError::CannotDisableSelf
        );
        let demote = AccountCommand::EditUser {
            username: "root".into(),
            name: Some("新名字".into()),
            role: Some(Role::Clerk),
        };
        assert_eq!(
            decide(&admin(), demote, with_user(me.clone()), vec![], 0).expect_err("self"),
            DomainError::CannotChangeOwnRole
        );
        // Their own name is theirs to fix.
        let rename = AccountCommand::EditUser {
            username: "root".into(),
            name: Some("新名字".into()),
            role: Some(Role::Admin),
        };
        let d = decide(&admin(), rename, with_user(me), vec![], 0).expect("renamed");
        assert_eq!(d.changes.len(), 1, "no session ends for a new name");
    }

    #[test]
    fn a_role_edit_records_before_and_after_and_ends_sessions() {
        let cmd = AccountCommand::EditUser {
            username: "clerk1".into(),
            name: None,
            role: Some(Role::Manager),
        };
        let d = decide(&admin(), cmd, with_user(clerk_row()), vec![], 0).expect("edited");
        assert_eq!(
            d.events,
            [Event::UserEdited {
                username: "clerk1".into(),
                name: "李红".into(),
                role: Role::Manager,
                previous_name: "李红".into(),
                previous_role: Role::Clerk,
            }]
        );
        assert!(d.changes.contains(&AccountChange::EndSessions {
            username: "clerk1".into()
        }));
        // The same values again: nothing to record.
        let same = AccountCommand::EditUser {
            username: "clerk1".into(),
            name: Some(" 李红 ".into()),
            role: Some(Role::Clerk),
        };
        let d = decide(&admin(), same, with_user(clerk_row()), vec![], 0).expect("no-op");
        assert!(d.events.is_empty() && d.changes.is_empty());
        let bad = AccountCommand::EditUser {
            username: "clerk1".into(),
            name: Some("   ".into()),
            role: None,
        };
        assert_eq!(
            decide(&admin(), bad, with_user(clerk_row()), vec![], 0).expect_err("blank"),
            DomainError::InvalidName
        );
    }

    #[test]
    fn users_and_devices_are_created_once_and_checked() {
        let add = |username: &str| AccountCommand::AddUser {
            username: username.into(),
            name: "李红".into(),
            role: Role::Clerk,
            password_hash: "h".into(),
            windows: " 1-3 ".into(),
            departments: String::new(),
        };
        assert_eq!(
            decide(&admin(), add("clerk1"), with_user(clerk_row()), vec![], 0).expect_err("taken"),
            DomainError::UserExists("clerk1".into())
        );
        assert_eq!(
            decide(&admin(), add("Clerk"), AccountFacts::default(), vec![], 0).expect_err("name"),
            DomainError::InvalidUsername
        );
        let d = decide(&admin(), add("clerk9"), AccountFacts::default(), vec![], 5).expect("new");
        let AccountChange::InsertUser {
            user, created_ms, ..
        } = &d.changes[0]
        else {
            panic!("an insert: {:?}", d.changes)
        };
        assert_eq!((user.windows.as_deref(), *created_ms), (Some("1-3"), 5));
        let evaluator = AccountCommand::RegisterDevice {
            id: "eval-5".into(),
            kind: DeviceKind::Evaluator,
            window: None,
            token_hash: "t".into(),
        };
        assert_eq!(
            decide(&admin(), evaluator, AccountFacts::default(), vec![], 0).expect_err("window"),
            DomainError::WindowRequired
        );
        let revoke = AccountCommand::RevokeDevice { id: "nope".into() };
        assert_eq!(
            decide(&admin(), revoke, AccountFacts::default(), vec![], 0).expect_err("unknown"),
            DomainError::UnknownDevice("nope".into())
        );
    }

    #[test]
    fn a_card_is_set_by_an_admin_for_a_known_user_and_recorded() {
        let photo = crate::domain::staff_card::check_photo(
            "image/png",
            crate::domain::staff_card::tests::png(300, 400),
        )
        .expect("photo");
        let etag = photo.etag.clone();
        let set = || AccountCommand::SetPhoto {
            username: "clerk1".into(),
            photo: Some(Box::new(photo.clone())),
        };
        assert_eq!(
            decide(&manager(), set(), with_user(clerk_row()), vec![], 0).expect_err("manager"),
            DomainError::Forbidden
        );
        assert_eq!(
            decide(&admin(), set(), AccountFacts::default(), vec![], 0).expect_err("nobody"),
            DomainError::UnknownUser("clerk1".into())
        );
        let d = decide(&admin(), set(), with_user(clerk_row()), vec![], 0).expect("set");
        assert_eq!(
            d.events,
            [Event::UserPhotoSet {
                username: "clerk1".into(),
                photo: Some(etag)
            }]
        );
        let no = AccountCommand::SetStaffNo {
            username: "clerk1".into(),
            staff_no: Some("SD-0123".into()),
        };
        let d = decide(&admin(), no.clone(), with_user(clerk_row()), vec![], 0).expect("no");
        assert_eq!(
            d.changes,
            [AccountChange::SetStaffNo {
                username: "clerk1".into(),
                staff_no: Some("SD-0123".into())
            }]
        );
        let taken = AccountFacts {
            staff_no_holder: Some("clerk2".into()),
            ..with_user(clerk_row())
        };
        assert_eq!(
            decide(&admin(), no, taken, vec![], 0).map(|d| d.changes),
            Err(DomainError::StaffNoTaken("SD-0123".into(), "clerk2".into()))
        );
    }

    #[test]
    fn each_lapsed_session_is_removed_with_one_expiry_event_saying_when_it_ended() {
        let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("bundled");
        let lapsed = |token: &str, who: &str, ms| LapsedSession {
            token_hash: token.into(),
            username: who.into(),
            expires_ms: ms,
        };
        // 2025-11-27 22:00 and 23:30 in the hall (UTC+8).
        let (events, changes) = expire_sessions(
            vec![
                lapsed("t1", "clerk1", 1_764_252_000_000),
                lapsed("t2", "boss", 1_764_257_400_000),
            ],
            &tz,
        );
        assert_eq!(
            events,
            [
                Event::SessionExpired {
                    username: "clerk1".into(),
                    expired_at: "2025-11-27T22:00:00.000+08:00".into(),
                },
                Event::SessionExpired {
                    username: "boss".into(),
                    expired_at: "2025-11-27T23:30:00.000+08:00".into(),
                },
            ]
        );
        assert_eq!(
            changes,
            [
                AccountChange::DeleteSession {
                    token_hash: "t1".into()
                },
                AccountChange::DeleteSession {
                    token_hash: "t2".into()
                },
            ]
        );
        let (events, changes) = expire_sessions(Vec::new(), &tz);
        assert!(events.is_empty() && changes.is_empty());
    }

    #[test]
    fn a_login_is_refused_for_an_account_disabled_since_its_password_was_checked() {
        let cmd = || AccountCommand::LogIn {
            username: "clerk1".into(),
            token_hash: "t".into(),
            expires_ms: 10,
        };
        let off = UserFacts {
            disabled: true,
            ..clerk_row()
        };
        let clerk = Actor::Staff {
            username: "clerk1".into(),
            name: "李红".into(),
            role: Role::Clerk,
        };
        assert_eq!(
            decide(&clerk, cmd(), with_user(off), vec![], 0).expect_err("disabled"),
            DomainError::Unauthenticated
        );
        let d = decide(&clerk, cmd(), with_user(clerk_row()), vec![], 0).expect("in");
        assert_eq!(
            d.events,
            [Event::SessionStarted {
                username: "clerk1".into()
            }]
        );
        let out = AccountCommand::LogOut {
            token_hash: "t".into(),
        };
        assert_eq!(
            decide(&clerk, out, AccountFacts::default(), vec![], 0).expect_err("none"),
            DomainError::Unauthenticated
        );
    }
}
