//! Connecting to the journal's database as libpq would: the URL's settings, the user from
//! `PGUSER` or the OS, the password from the URL, `PGPASSFILE` or `~/.pgpass`, and TLS by
//! `sslmode` (`disable`, `prefer` the default, `require`) through rustls.

use crate::journal::location::PgLocation;
use crate::journal::JournalError;
use postgres::config::{Host, SslMode};
use postgres::{Client, Config, NoTls};
use std::sync::Arc;
use std::time::Duration;

/// How long reaching the server may take before the journal is reported unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One connection. The client blocks on a runtime of its own: call this, and use the client,
/// only on a thread that runs no async task.
pub(crate) fn connect(at: &PgLocation) -> Result<Client, JournalError> {
    let mut config: Config = at.url().parse().map_err(|e| failed(at, &e))?;
    if config.get_user().is_none() {
        let user = std::env::var("PGUSER").unwrap_or_else(|_| crate::journal::owner::user());
        config.user(&user);
    }
    if config.get_password().is_none() {
        if let Some(password) = pgpass(&config) {
            config.password(password);
        }
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    config.application_name("avatar-cli");
    let connected = match config.get_ssl_mode() {
        SslMode::Disable => config.connect(NoTls),
        _ => {
            let tls = tls().map_err(|e| JournalError::Postgres {
                location: at.to_string(),
                reason: format!("TLS could not be set up: {e}"),
            })?;
            config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
        }
    };
    connected.map_err(|e| failed(at, &e))
}

/// A failure to reach or use the server, as the user can act on it.
pub(crate) fn failed(at: &PgLocation, e: &postgres::Error) -> JournalError {
    JournalError::Postgres {
        location: at.to_string(),
        reason: reason(e),
    }
}

/// The server's own message when it sent one (it names the role or database refused).
pub(crate) fn reason(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            text
        }
    }
}

/// `prefer` and `require` encrypt without checking the server's certificate, as libpq does
/// for them.
fn tls() -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(
        rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth(),
    )
}

#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The password file's entry for this connection: `PGPASSFILE`, else `~/.pgpass`, read only
/// when no one else can (mode 0600 or stricter), as libpq does.
fn pgpass(config: &Config) -> Option<String> {
    let file = std::env::var_os("PGPASSFILE")
        .map(std::path::PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".pgpass")))?;
    let meta = std::fs::metadata(&file).ok()?;
    {
        use std::os::unix::fs::PermissionsExt;
        if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
            return None;
        }
    }
    let text = std::fs::read_to_string(&file).ok()?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) if p.to_string_lossy() == "/var/run/postgresql" => "localhost".into(),
        Some(Host::Unix(p)) => p.to_string_lossy().into_owned(),
        None => "localhost".into(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or_default().to_string();
    let db = config.get_dbname().unwrap_or(&user).to_string();
    let wanted = [host.as_str(), port.as_str(), db.as_str(), user.as_str()];
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(pgpass_fields)
        .find(|f| f.len() == 5 && (0..4).all(|i| f[i] == "*" || f[i] == wanted[i]))
        .map(|mut f| f.remove(4))
}

/// A `.pgpass` line's fields: `:` separates them, `\:` and `\\` stand for themselves.
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => field.extend(chars.next()),
            ':' => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_file_line_keeps_its_escaped_colons() {
        assert_eq!(
            pgpass_fields(r"db.example:5432:*:alice:pa\:ss\\word"),
            ["db.example", "5432", "*", "alice", r"pa:ss\word"]
        );
    }
}
