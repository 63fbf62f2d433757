//! The central server's own staff accounts and sessions (argon2 passwords, SHA-256 digests of
//! bearer tokens), kept in the central database. Only managers and admins exist here.

use tokio_postgres::Client;

/// Roles a central account may have.
pub const ROLES: [&str; 2] = ["manager", "admin"];

/// How long a central session lasts.
pub const SESSION_HOURS: i64 = 12;

/// A central account.
#[derive(Debug, Clone)]
pub struct CentralUser {
    pub username: String,
    pub name: String,
    pub role: String,
    pub password_hash: String,
    pub disabled: bool,
}

/// Add an account; `false` if the username is taken. `password_hash` is a PHC string.
pub async fn add_user(
    client: &Client,
    username: &str,
    name: &str,
    role: &str,
    password_hash: &str,
) -> Result<bool, tokio_postgres::Error> {
    let n = client
        .execute(
            "INSERT INTO central_users(username, name, role, password_hash) VALUES ($1, $2, $3, $4)
             ON CONFLICT (username) DO NOTHING",
            &[&username, &name, &role, &password_hash],
        )
        .await?;
    Ok(n == 1)
}

/// The account named `username`, if any.
pub async fn user(
    client: &Client,
    username: &str,
) -> Result<Option<CentralUser>, tokio_postgres::Error> {
    Ok(client
        .query_opt(
            "SELECT username, name, role, password_hash, disabled FROM central_users WHERE username = $1",
            &[&username],
        )
        .await?
        .map(|r| user_of(&r)))
}

/// Start a session for `username` under the digest of its token.
pub async fn create_session(
    client: &Client,
    token_hash: &str,
    username: &str,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "INSERT INTO central_sessions(token_hash, username, expires_at)
             VALUES ($1, $2, now() + make_interval(hours => $3))",
            &[&token_hash, &username, &(SESSION_HOURS as i32)],
        )
        .await?;
    Ok(())
}

/// The live, enabled account behind a session digest.
pub async fn session(
    client: &Client,
    token_hash: &str,
) -> Result<Option<CentralUser>, tokio_postgres::Error> {
    Ok(client
        .query_opt(
            "SELECT u.username, u.name, u.role, '', u.disabled
             FROM central_sessions s JOIN central_users u USING (username)
             WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT u.disabled",
            &[&token_hash],
        )
        .await?
        .map(|r| user_of(&r)))
}

/// End a session; false when no session had that token.
pub async fn delete_session(
    client: &Client,
    token_hash: &str,
) -> Result<bool, tokio_postgres::Error> {
    let deleted = client
        .execute(
            "DELETE FROM central_sessions WHERE token_hash = $1",
            &[&token_hash],
        )
        .await?;
    Ok(deleted > 0)
}

fn user_of(r: &tokio_postgres::Row) -> CentralUser {
    CentralUser {
        username: r.get(0),
        name: r.get(1),
        role: r.get(2),
        password_hash: r.get(3),
        disabled: r.get(4),
    }
}
