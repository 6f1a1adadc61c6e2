//! `--reject` patterns: `*` matches any run of characters, `?` exactly one; nothing else is
//! special, so a policy number with dots or brackets needs no escaping.

#[derive(Debug, Clone)]
pub(super) struct Glob {
    source: String,
    chars: Vec<char>,
}

impl Glob {
    pub fn new(pattern: &str) -> Self {
        Glob {
            source: pattern.to_owned(),
            chars: pattern.chars().collect(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Iterative matching with one backtrack point (the last `*`): linear-ish in practice and
    /// never recursive, so no pattern can blow the stack.
    pub fn matches(&self, text: &str) -> bool {
        let p = &self.chars;
        let mut t = text.chars();
        let mut pi = 0;
        // Where to go back to: the pattern just after the last `*`, and the text position that
        // `*` has swallowed up to.
        let mut star: Option<(usize, std::str::Chars<'_>)> = None;
        loop {
            let here = t.clone();
            match (p.get(pi), t.next()) {
                (Some('*'), _) => {
                    pi += 1;
                    star = Some((pi, here.clone()));
                    t = here;
                }
                (Some(&pc), Some(c)) if pc == '?' || pc == c => pi += 1,
                (None, None) => return true,
                _ => match &mut star {
                    Some((after_star, swallowed)) => {
                        if swallowed.next().is_none() {
                            return false;
                        }
                        t = swallowed.clone();
                        pi = *after_star;
                    }
                    None => return false,
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    #[test]
    fn stars_and_question_marks() {
        let cases = [
            ("P1", "P1", true),
            ("P1", "P12", false),
            ("P*", "P", true),
            ("P*", "P2024", true),
            ("*9", "P2029", true),
            ("*9", "P2091", false),
            ("P?0*", "P202", true),
            ("P?0*", "P2X2", false),
            ("*", "", true),
            ("", "", true),
            ("", "P", false),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
            ("*TEST*", "P-TEST-1", true),
            ("保单*", "保单001", true),
            ("**?", "x", true),
            ("a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
        ];
        for (pattern, text, want) in cases {
            assert_eq!(Glob::new(pattern).matches(text), want, "{pattern} ~ {text}");
        }
    }
}
