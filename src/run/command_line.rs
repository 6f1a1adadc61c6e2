//! The command line a run records, as typed, with every secret taken out: a `-H`/`--header`
//! value (whatever its spelling: `-H V`, `-HV`, `-H=V`, `-vH V`, `--header V`, `--header=V`)
//! keeps only its header name, and a URL's userinfo (`https://user:password@host`) goes. The
//! rest stays as it was given, each word quoted as a POSIX shell needs it, so that a person can
//! read the line and type it again.

use crate::cli::{HEADER_LONG, HEADER_SHORT};
use crate::redact::REDACTED;
use std::ffi::OsString;

/// `args` (the program first, as `std::env::args_os` gives them) as one line, secrets taken
/// out. The program is named by its file name: where it was installed is no part of the
/// command.
pub(crate) fn recorded(args: impl IntoIterator<Item = OsString>) -> String {
    let mut args = args.into_iter().map(|a| a.to_string_lossy().into_owned());
    let mut words = Vec::new();
    if let Some(program) = args.next() {
        let name = std::path::Path::new(&program)
            .file_name()
            .map_or(program.clone(), |n| n.to_string_lossy().into_owned());
        words.push(name);
    }
    // After `--` every word is an argument, never an option.
    let mut options_ended = false;
    let mut header_follows = false;
    for arg in args {
        if header_follows {
            header_follows = false;
            words.push(header(&arg));
        } else if options_ended {
            words.push(without_userinfo(&arg));
        } else if arg == "--" {
            options_ended = true;
            words.push(arg);
        } else if let Some(long) = arg.strip_prefix("--") {
            match long.split_once('=') {
                Some((name, value)) if name == HEADER_LONG => {
                    words.push(format!("--{name}={}", header(value)));
                }
                None if long == HEADER_LONG => {
                    header_follows = true;
                    words.push(arg);
                }
                _ => words.push(without_userinfo(&arg)),
            }
        } else if let Some((flags, value)) = short_header(&arg) {
            match value {
                Some((eq, value)) => {
                    words.push(format!("-{flags}{HEADER_SHORT}{eq}{}", header(value)))
                }
                None => {
                    header_follows = true;
                    words.push(arg);
                }
            }
        } else {
            words.push(without_userinfo(&arg));
        }
    }
    words
        .iter()
        .map(|w| shell_quoted(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A cluster of short options that ends in `-H`: the flags before it, and its value when it
/// is attached (with the `=` it was written with, if any); `None` when the value is the next
/// word. The flags a cluster may hold before `-H` take no value (`-e` and `-o` do, and their
/// values never hold an `H`), so the first `H` is the option.
fn short_header(arg: &str) -> Option<(&str, Option<(&str, &str)>)> {
    let cluster = arg.strip_prefix('-').filter(|c| !c.starts_with('-'))?;
    let at = cluster.find(HEADER_SHORT)?;
    let flags = &cluster[..at];
    let rest = &cluster[at + HEADER_SHORT.len_utf8()..];
    Some(match rest {
        "" => (flags, None),
        _ => match rest.strip_prefix('=') {
            Some(value) => (flags, Some(("=", value))),
            None => (flags, Some(("", rest))),
        },
    })
}

/// A header as `-H` takes it (`Name: value`), its value taken out: the name says which header
/// was given, the value (or `@FILE`) is the secret.
fn header(given: &str) -> String {
    match given.split_once(':') {
        Some((name, _)) => format!("{}: {REDACTED}", name.trim()),
        None => REDACTED.to_string(),
    }
}

/// `word` with the userinfo of every URL in it taken out: `https://u:p@host/x` becomes
/// `https://[redacted]@host/x`.
fn without_userinfo(word: &str) -> String {
    let mut out = String::new();
    let mut rest = word;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
        match after[..authority_end].rfind('@') {
            Some(userinfo_end) => {
                out.push_str(REDACTED);
                rest = &after[userinfo_end..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}

/// A word as a POSIX shell reads it back: bare when it holds only characters no shell treats
/// specially, else in single quotes.
fn shell_quoted(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-+=:,./@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(args: &[&str]) -> String {
        recorded(args.iter().map(OsString::from))
    }

    #[test]
    fn every_spelling_of_a_header_keeps_its_name_and_loses_its_value() {
        let secret = "s3cr3t-key";
        for (args, shown) in [
            (vec!["-H", "X-Key: s3cr3t-key"], "-H 'X-Key: [redacted]'"),
            (vec!["-HX-Key: s3cr3t-key"], "'-HX-Key: [redacted]'"),
            (vec!["-H=X-Key:s3cr3t-key"], "'-H=X-Key: [redacted]'"),
            (vec!["-vH", "X-Key: s3cr3t-key"], "-vH 'X-Key: [redacted]'"),
            (vec!["-qvHX-Key: s3cr3t-key"], "'-qvHX-Key: [redacted]'"),
            (
                vec!["--header", "X-Key: s3cr3t-key"],
                "--header 'X-Key: [redacted]'",
            ),
            (
                vec!["--header=X-Key: s3cr3t-key"],
                "'--header=X-Key: [redacted]'",
            ),
            (vec!["-H", "X-Key: @/etc/key"], "-H 'X-Key: [redacted]'"),
            (vec!["-H", "s3cr3t-key"], "-H '[redacted]'"),
        ] {
            let mut all = vec!["/usr/bin/avatar-cli", "batch"];
            all.extend(args);
            all.push("c.csv");
            let got = line(&all);
            assert_eq!(got, format!("avatar-cli batch {shown} c.csv"));
            assert!(!got.contains(secret) && !got.contains("/etc/key"), "{got}");
        }
    }

    #[test]
    fn a_urls_userinfo_goes_and_the_rest_stays() {
        assert_eq!(
            line(&[
                "avatar-cli",
                "--base-url",
                "https://u:pw@h.example:8443/x",
                "send"
            ]),
            "avatar-cli --base-url 'https://[redacted]@h.example:8443/x' send"
        );
        assert_eq!(
            line(&[
                "avatar-cli",
                "--journal=postgres://me:pw@db/avatar",
                "history"
            ]),
            "avatar-cli '--journal=postgres://[redacted]@db/avatar' history"
        );
        // An `@` past the host is no userinfo.
        assert_eq!(
            line(&["avatar-cli", "--base-url", "https://h/a@b"]),
            "avatar-cli --base-url https://h/a@b"
        );
    }

    #[test]
    fn words_are_quoted_only_when_a_shell_needs_it() {
        assert_eq!(
            line(&[
                "avatar-cli",
                "send",
                "--refund-date",
                "2024-05-10 12:00:00",
                "--policy",
                "P'1",
                ""
            ]),
            "avatar-cli send --refund-date '2024-05-10 12:00:00' --policy 'P'\\''1' ''"
        );
    }

    #[test]
    fn after_a_double_dash_nothing_is_an_option() {
        assert_eq!(
            line(&["avatar-cli", "batch", "--", "-Hfile.csv"]),
            "avatar-cli batch -- -Hfile.csv"
        );
    }
}
