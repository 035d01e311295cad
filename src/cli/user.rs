//! `frontline user create`, and the first admin account `serve --bootstrap` creates.

use super::connect;
use clap::Subcommand;
use diesel::prelude::*;
use frontline::auth;
use frontline::configuration::Settings;
use frontline::domain::email::EmailAddress;
use frontline::models::enums::{EmploymentType, UserRole};
use frontline::models::staff;
use secrecy::{ExposeSecret, SecretString};
use std::io::IsTerminal;

/// What `frontline user` does.
#[derive(Subcommand)]
pub enum UserAction {
    /// Create a staff account. The password is read from a prompt on a terminal, otherwise from
    /// the first line of standard input.
    Create {
        /// admin, manager, agent or technician.
        #[arg(long, value_parser = parse_role)]
        role: UserRole,
        /// Log-in email.
        #[arg(long)]
        email: String,
        /// Display name (default: the email).
        #[arg(long)]
        name: Option<String>,
        /// employee or contractor.
        #[arg(long, default_value = "employee", value_parser = parse_employment)]
        employment_type: EmploymentType,
    },
}

fn parse_role(s: &str) -> Result<UserRole, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| format!("`{s}` is not one of admin, manager, agent, technician"))
}

fn parse_employment(s: &str) -> Result<EmploymentType, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| format!("`{s}` is not one of employee, contractor"))
}

/// A created account, for the confirmation line.
pub struct CreatedUser {
    /// Its id.
    pub id: i64,
    /// Its log-in email.
    pub email: String,
    role: UserRole,
}

impl CreatedUser {
    /// The role as the API writes it (`admin`, `agent` …).
    pub fn role_name(&self) -> String {
        serde_json::to_value(self.role)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    }
}

/// The new account's password: prompted twice on a terminal, otherwise the first line of
/// standard input.
pub fn read_password() -> anyhow::Result<SecretString> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Password again: ")?;
        anyhow::ensure!(first == second, "the passwords differ");
        Ok(SecretString::from(first))
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(SecretString::from(
            line.trim_end_matches(['\r', '\n']).to_string(),
        ))
    }
}

/// Creates a staff account (email normalised, password policy checked, hashed).
pub fn create_user(
    settings: &Settings,
    role: UserRole,
    email: &str,
    name: Option<&str>,
    employment_type: EmploymentType,
    password: &SecretString,
) -> anyhow::Result<CreatedUser> {
    let email = EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
    auth::password::check_policy(password.expose_secret())
        .map_err(|e| anyhow::anyhow!("password {e}"))?;
    let hash = auth::password::hash(password.expose_secret())?;
    let mut conn = connect(settings)?;
    let staff = staff::create_staff_tx(
        &mut conn,
        &staff::NewStaff {
            name: name.unwrap_or(email.as_str()),
            email: Some(email.as_str()),
            role,
            employment_type,
            team_id: None,
            password_hash: Some(&hash),
            skills: None,
            also_agent: None,
        },
    )
    .map_err(|e| match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => anyhow::anyhow!("a staff account with email {email} already exists"),
        other => other.into(),
    })?;
    tracing::info!(target: "audit", { user.id = staff.id }, "staff account created");
    Ok(CreatedUser {
        id: staff.id,
        email: email.to_string(),
        role,
    })
}

/// Creates the configured first admin when no account can log in yet; returns how to log in.
pub fn bootstrap_admin(settings: &Settings) -> anyhow::Result<Option<String>> {
    let email = &settings.bootstrap.admin_email;
    if email.is_empty() {
        return Ok(None);
    }
    let mut conn = connect(settings)?;
    use frontline::schema::users;
    let any_login: bool = diesel::select(diesel::dsl::exists(
        users::table.filter(users::password_hash.is_not_null()),
    ))
    .get_result(&mut conn)?;
    let password = &settings.bootstrap.admin_password;
    if !any_login {
        create_user(
            settings,
            UserRole::Admin,
            email,
            Some("Administrator"),
            EmploymentType::Employee,
            password,
        )?;
        eprintln!("created the first admin account {email}");
    }
    Ok(Some(format!(
        "{{\"email\":\"{email}\",\"password\":\"{}\"}}",
        password.expose_secret()
    )))
}
