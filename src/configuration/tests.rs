//! Loading and validating the settings.

use super::*;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")
}

#[test]
fn the_shipped_files_load_for_every_environment() {
    for env in [Environment::Local, Environment::Test] {
        let s = Settings::load_for(&dir(), env);
        assert!(s.is_ok(), "{env:?}: {:?}", s.err());
    }
}

#[test]
fn a_zero_pool_size_is_refused_with_its_key() {
    let mut s = Settings::load_for(&dir(), Environment::Local).unwrap();
    s.database.pool_max_size = 0;
    let err = s.validate().unwrap_err().to_string();
    assert_eq!(
        err,
        "configuration: `database.pool_max_size` must be between 1 and 200"
    );
}

#[test]
fn a_database_url_gives_the_database_settings_it_names() {
    let toml = database_url_toml(
        "postgresql://ops%40site:p%3As%23w@db.example.com:6543/front%20line?sslmode=require",
    )
    .unwrap();
    assert_eq!(
        toml,
        "[database]\nhost = \"db.example.com\"\nport = 6543\nusername = \"ops@site\"\n\
         password = \"p:s#w\"\ndatabase_name = \"front line\"\nssl_mode = \"require\""
    );
    // Only what the URL has; an IPv6 host without its brackets.
    assert_eq!(
        database_url_toml("postgres://[::1]/frontline").unwrap(),
        "[database]\nhost = \"::1\"\ndatabase_name = \"frontline\""
    );
    let err = database_url_toml("postgres://h/db?application_name=x")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`DATABASE_URL` has the parameter `application_name`"),
        "{err}"
    );
    assert!(database_url_toml("not a url").is_err());
}

#[test]
fn special_characters_in_the_password_are_encoded() {
    let mut s = Settings::load_for(&dir(), Environment::Local).unwrap();
    s.database.password = SecretString::from("p@ss/w:rd");
    s.database.username = "u".into();
    s.database.host = "127.0.0.1".into();
    s.database.port = 5432;
    assert_eq!(
        s.database.url_for("db").expose_secret(),
        "postgres://u:p%40ss%2Fw%3Ard@127.0.0.1:5432/db"
    );
}

#[test]
fn production_refuses_the_development_jwt_secret() {
    // config/production.toml sets no secret, so the development one from default.toml is
    // inherited unless FRONTLINE__AUTH__JWT_SECRET is set.
    if std::env::var("FRONTLINE__AUTH__JWT_SECRET").is_err() {
        let err = Settings::load_for(&dir(), Environment::Production).unwrap_err();
        assert!(err.to_string().contains("auth.jwt_secret"), "{err}");
    }
}

#[test]
fn production_refuses_guessable_secrets_and_takes_random_ones() {
    let mut s = Settings::load_for(&dir(), Environment::Local).unwrap();
    s.email.inbound_secret = SecretString::from("Zx8kQp2mWv7nRt4yLb9cHs3dFg6jKe1a");
    for weak in [
        "a".repeat(48),
        "0123456789abcdef".repeat(3),
        "correct-horse-battery-staple-".repeat(2),
        "passwordpasswordpasswordpassword".into(),
    ] {
        s.auth.jwt_secret = SecretString::from(weak.clone());
        let err = s.check_production_secrets().unwrap_err().to_string();
        assert!(
            err.contains("auth.jwt_secret") && err.contains("too easy"),
            "{weak}: {err}"
        );
    }
    // 32 random bytes in base64 and in hex (what the bench scripts make).
    for strong in [
        "q8V4mX1r9TzK0bW6yN3cP7sD2fH5jL8a+Qe/GuIoRkE=",
        "bench-3f9a1c7e5b2d8f604a9e1c3b7d5f2a8e6c4b1d9f3a7e5c2b",
    ] {
        s.auth.jwt_secret = SecretString::from(strong);
        assert!(s.check_production_secrets().is_ok(), "{strong}");
    }
    s.email.inbound_secret = SecretString::from(DEVELOPMENT_INBOUND_SECRET);
    let err = s.check_production_secrets().unwrap_err().to_string();
    assert!(err.contains("email.inbound_secret"), "{err}");
}

#[test]
fn a_short_jwt_secret_is_refused() {
    let mut s = Settings::load_for(&dir(), Environment::Local).unwrap();
    s.auth.jwt_secret = SecretString::from("short");
    assert!(
        s.validate()
            .unwrap_err()
            .to_string()
            .contains("auth.jwt_secret")
    );
}

#[test]
fn an_unknown_environment_is_refused() {
    let e: Result<Environment, _> = "staging".to_string().try_into();
    assert!(e.unwrap_err().contains("staging"));
}
