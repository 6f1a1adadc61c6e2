//! `man --install [DIR]`: every page where `man` finds it, the line to add when man would not
//! look there, and a clear refusal when DIR cannot be written. `man` itself (man-db) reads the
//! installed pages.

mod common;

use common::{text, Env};
use std::path::Path;
use std::process::Output;

/// The pages `avatar-cli man [COMMAND]` prints, by file name.
fn pages() -> Vec<(String, Vec<u8>)> {
    avatar_cli::commands::man::pages()
}

fn install(env: &Env, args: &[&str], vars: &[(&str, &Path)]) -> Output {
    let mut cmd = env.cmd();
    cmd.args(["man", "--install"]).args(args);
    for (name, value) in vars {
        cmd.env(name, value);
    }
    cmd.output().unwrap()
}

/// Every page in `man1`, byte for byte as `avatar-cli man` prints it, and nothing else.
fn assert_installed(man1: &Path) {
    let mut found: Vec<String> = std::fs::read_dir(man1)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut expected: Vec<String> = pages().into_iter().map(|(name, _)| name).collect();
    expected.sort();
    assert_eq!(found, expected);
    for (name, roff) in pages() {
        assert_eq!(std::fs::read(man1.join(&name)).unwrap(), roff, "{name}");
    }
}

/// `script` run by sh with the test's HOME and PATH, as a user's shell would.
fn sh(env: &Env, script: &str) -> Output {
    std::process::Command::new("sh")
        .args(["-c", script])
        .env_clear()
        .env("HOME", env.dir.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("MANWIDTH", "200")
        .output()
        .expect("sh")
}

#[test]
fn the_pages_go_to_the_users_man_directory_and_the_line_to_add_makes_man_find_them() {
    let env = Env::new();
    let out = install(&env, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let dir = env.path(".local/share/man");
    assert_installed(&dir.join("man1"));
    let said = text(&out.stderr);
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "installed {} manual pages in {}: man avatar-cli, man avatar-cli-batch, …",
                pages().len(),
                dir.join("man1").display()
            )
            .as_str(),
            &format!(
                "man does not look in {} yet: add this line to your shell's startup file \
                 (~/.bashrc, ~/.zshrc, ~/.config/fish/config.fish)",
                dir.display()
            ),
            "    export MANPATH=\"$HOME/.local/share/man:$MANPATH\"",
        ]
    );
    // man does not find the page, and does once the line is run.
    let without = sh(&env, "man -P cat avatar-cli-batch");
    assert_ne!(without.status.code(), Some(0), "{without:?}");
    let export = lines[2].trim();
    let with = sh(&env, &format!("{export}\nman -P cat avatar-cli-batch"));
    assert_eq!(with.status.code(), Some(0), "{with:?}");
    let page = text(&with.stdout);
    assert!(
        page.contains("avatar-cli-batch - Send a notice for every row of a CSV"),
        "{page}"
    );
    // man still searches the system's own directories too.
    let searched = text(&sh(&env, &format!("{export}\nmanpath")).stdout);
    assert!(
        searched.starts_with(&format!("{}:", dir.display())) && searched.contains("/usr/share/man"),
        "{searched}"
    );
}

#[test]
fn a_directory_man_already_searches_gets_no_advice_and_xdg_data_home_is_the_default() {
    let env = Env::new();
    let data = env.path("data");
    // MANPATH ending in ':' is man's own path after this one.
    let manpath = format!("{}:", data.join("man").display());
    let out = install(
        &env,
        &[],
        &[("XDG_DATA_HOME", &data), ("MANPATH", Path::new(&manpath))],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_installed(&data.join("man/man1"));
    assert_eq!(text(&out.stderr).lines().count(), 1, "{out:?}");
}

#[test]
fn a_named_directory_is_created_and_installing_again_replaces_the_pages() {
    let env = Env::new();
    let dir = env.path("deep/er/man");
    let man1 = dir.join("man1");
    std::fs::create_dir_all(&man1).unwrap();
    std::fs::write(man1.join("avatar-cli.1"), "an older page").unwrap();
    let out = install(&env, &[dir.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_installed(&man1);
    assert!(
        text(&out.stderr).contains(&format!("in {}: ", man1.display())),
        "{out:?}"
    );
}

#[test]
fn a_directory_that_cannot_be_written_is_refused_with_exit_2() {
    let env = Env::new();
    // Below a regular file no directory can be made, whoever runs the test.
    env.write("file", "not a directory");
    let dir = env.path("file/man");
    let out = install(&env, &[dir.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let said = text(&out.stderr);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(
        said.starts_with(&format!(
            "error: cannot write the manual pages into {}: ",
            dir.join("man1").display()
        )) && said.contains("name a directory you can write: avatar-cli man --install DIR"),
        "{said}"
    );
}

#[test]
fn a_page_that_cannot_be_put_in_place_leaves_no_temporary_file() {
    let env = Env::new();
    let man1 = env.path("man/man1");
    // A directory where a page goes: the page cannot replace it.
    std::fs::create_dir_all(man1.join("avatar-cli-send.1")).unwrap();
    let out = install(&env, &[env.path("man").to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        text(&out.stderr).starts_with("error: cannot write the manual pages into"),
        "{out:?}"
    );
    let left: Vec<String> = std::fs::read_dir(&man1)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn install_takes_no_command() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["man", "batch", "--install"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(text(&out.stderr).contains("cannot be used with"), "{out:?}");
    assert!(!env.path(".local/share/man").exists());
}
