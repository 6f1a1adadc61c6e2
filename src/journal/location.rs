//! Where a journal is kept: a SQLite file, or a PostgreSQL database named by a URL. A URL's
//! password never leaves this type but to connect: shown, it reads `[redacted]`.

use crate::redact::REDACTED;
use std::fmt;
use std::path::{Path, PathBuf};

/// A journal's place, as `--journal`, `AVATAR_JOURNAL` or the config file name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Postgres(PgLocation),
}

/// A PostgreSQL database, `postgres://user@host:port/db` (or `postgresql://`, a socket
/// directory as `host=/run/postgresql`). Its `Debug` and `Display` hide the password.
#[derive(Clone, PartialEq, Eq)]
pub struct PgLocation {
    url: String,
}

impl Location {
    /// A URL of the `postgres` or `postgresql` scheme names a database; anything else a file.
    pub fn parse(given: &Path) -> Result<Location, String> {
        match given.to_str().filter(|t| is_postgres_url(t)) {
            Some(url) => PgLocation::parse(url).map(Location::Postgres),
            None => Ok(Location::File(given.to_path_buf())),
        }
    }

    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }
}

fn is_postgres_url(text: &str) -> bool {
    let lower = text.get(..13).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

impl PgLocation {
    /// Checked as the client will read it, so that a mistyped URL is refused at start.
    pub fn parse(url: &str) -> Result<PgLocation, String> {
        // The client reads the scheme in lower case only.
        let url = match url.split_once("://") {
            Some((scheme, rest)) => format!("{}://{rest}", scheme.to_ascii_lowercase()),
            None => url.to_string(),
        };
        let url = url.as_str();
        let location = PgLocation {
            url: url.to_string(),
        };
        match url.parse::<postgres::Config>() {
            Ok(_) => Ok(location),
            // The client's message may quote the URL, password and all.
            Err(e) => Err(format!(
                "{location} is not a PostgreSQL URL the client can read ({}): write it as postgres://USER@HOST:PORT/DATABASE",
                crate::text::escape_controls(&e.to_string().replace(url, "<the URL>"))
            )),
        }
    }

    /// The URL as given, password included: only for connecting.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

impl fmt::Display for PgLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::text::escape_controls(&redacted(&self.url)))
    }
}

impl fmt::Debug for PgLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgLocation({self})")
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(path) => {
                f.write_str(&crate::text::escape_controls(&path.to_string_lossy()))
            }
            Location::Postgres(pg) => pg.fmt(f),
        }
    }
}

/// `scheme://user:secret@host/db?password=secret` as
/// `scheme://user:[redacted]@host/db?password=[redacted]`: the user stays, to say who connects.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return REDACTED.into();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rfind('@') {
        Some(at) => {
            let (userinfo, host) = authority.split_at(at);
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:{REDACTED}{host}"),
                None => authority.to_string(),
            }
        }
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}={REDACTED}"),
                    _ => p.to_string(),
                })
                .collect();
            format!("{path}?{}", params.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_names_a_database_and_its_password_is_never_shown() {
        for (given, shown) in [
            (
                "postgres://alice:s3cret@db.example:5433/journal",
                "postgres://alice:[redacted]@db.example:5433/journal",
            ),
            (
                "postgresql://alice@db.example/journal?password=s3cret&sslmode=require",
                "postgresql://alice@db.example/journal?password=[redacted]&sslmode=require",
            ),
            ("POSTGRES://h/db", "postgres://h/db"),
        ] {
            let location = Location::parse(Path::new(given)).unwrap();
            assert!(matches!(location, Location::Postgres(_)), "{given}");
            assert_eq!(location.to_string(), shown);
            assert!(!format!("{location:?}").contains("s3cret"));
        }
        assert_eq!(
            Location::parse(Path::new("postgres.sqlite3")).unwrap(),
            Location::File("postgres.sqlite3".into())
        );
    }

    #[test]
    fn a_url_the_client_cannot_read_is_refused_without_its_password() {
        let err =
            Location::parse(Path::new("postgres://u:s3cret@h/db?sslmode=sometimes")).unwrap_err();
        assert!(err.contains("postgres://u:[redacted]@h/db"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }
}
