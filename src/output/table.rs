//! A text table for a terminal: columns padded by display width (a Chinese character takes
//! two cells), and, when the table is wider than the terminal, columns shortened or left out
//! in a fixed order until it fits. A cut cell ends in `…`; a character is never split, since
//! a cut falls between characters and a wide one that would straddle the edge is left out
//! whole.

use crate::text::{pad, width};
use unicode_width::UnicodeWidthChar;

/// Cells between two columns.
const GAP: usize = 2;

/// One thing a table gives up when it is too wide, named by the column's title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveWay {
    /// Cut the column's cells, to no fewer than this many terminal cells.
    Shorten(&'static str, usize),
    /// The same, cutting the cells' starts rather than their ends: for a path, whose file
    /// name is at its end, and a command line, whose last words say what it did.
    ShortenKeepingEnd(&'static str, usize),
    /// Leave the column out.
    Drop(&'static str),
}

/// The width of each column in terminal cells, `None` for one left out, and the width no line
/// may pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    widths: Vec<Option<usize>>,
    /// The columns whose cells are cut at their start.
    keep_end: Vec<bool>,
    limit: Option<usize>,
}

impl Layout {
    /// Every column whole: `natural` is the widest cell of each (title included).
    pub fn whole(natural: &[usize]) -> Layout {
        Layout {
            widths: natural.iter().copied().map(Some).collect(),
            keep_end: vec![false; natural.len()],
            limit: None,
        }
    }

    /// The columns fitted into `limit` cells: each step of `give_way` in turn, as long as the
    /// table is too wide, a shortening only as far as needed. Room a later step frees beyond
    /// what was needed goes back to the columns shortened before, the later (more important)
    /// first. What no step can fit (a very narrow terminal) is cut at the edge.
    pub fn fit(titles: &[&str], natural: &[usize], give_way: &[GiveWay], limit: usize) -> Layout {
        let mut widths: Vec<Option<usize>> = natural.iter().copied().map(Some).collect();
        let column = |title: &str| titles.iter().position(|t| *t == title);
        let mut keep_end = vec![false; natural.len()];
        for step in give_way {
            if let Some(i) = match *step {
                GiveWay::ShortenKeepingEnd(title, _) => column(title),
                _ => None,
            } {
                keep_end[i] = true;
            }
        }
        let mut shortened = Vec::new();
        for step in give_way {
            let over = total(&widths).saturating_sub(limit);
            if over == 0 {
                break;
            }
            match *step {
                GiveWay::Shorten(title, least) | GiveWay::ShortenKeepingEnd(title, least) => {
                    if let Some((i, Some(w))) = column(title).map(|i| (i, widths[i])) {
                        widths[i] = Some(w.saturating_sub(over).max(least).min(w));
                        shortened.push(i);
                    }
                }
                GiveWay::Drop(title) => {
                    if let Some(i) = column(title) {
                        widths[i] = None;
                    }
                }
            }
        }
        for &i in shortened.iter().rev() {
            let room = limit.saturating_sub(total(&widths));
            if let Some(w) = widths[i] {
                widths[i] = Some((w + room).min(natural[i]));
            }
        }
        Layout {
            widths,
            keep_end,
            limit: Some(limit),
        }
    }

    /// One line of the table: the cells of the columns shown, each padded or cut to its width,
    /// two spaces apart, with no spaces at the end.
    pub fn line(&self, cells: &[String]) -> String {
        let shown: Vec<String> = cells
            .iter()
            .zip(&self.widths)
            .zip(&self.keep_end)
            .filter_map(|((cell, w), keep_end)| w.map(|w| (cell, w, keep_end)))
            .map(|(cell, w, keep_end)| match self.limit {
                Some(_) if *keep_end => pad(&cut_start(cell, w), w),
                Some(_) => pad(&cut(cell, w), w),
                None => pad(cell, w),
            })
            .collect();
        let line = shown.join(&" ".repeat(GAP));
        let line = line.trim_end();
        match self.limit {
            Some(limit) => cut(line, limit),
            None => line.to_string(),
        }
    }
}

/// The width of a table with these columns.
fn total(widths: &[Option<usize>]) -> usize {
    let shown: Vec<usize> = widths.iter().flatten().copied().collect();
    shown.iter().sum::<usize>() + GAP * shown.len().saturating_sub(1)
}

/// `text` in at most `cells` terminal cells: whole when it fits, else cut between two
/// characters and ended with `…`.
pub fn cut(text: &str, cells: usize) -> String {
    if width(text) <= cells {
        return text.to_string();
    }
    let Some(room) = cells.checked_sub(1) else {
        return String::new();
    };
    let mut kept = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        kept.push(c);
        used += w;
    }
    kept.push('…');
    kept
}

/// `text` in at most `cells` terminal cells, its end kept: whole when it fits, else cut between
/// two characters and started with `…`.
pub fn cut_start(text: &str, cells: usize) -> String {
    if width(text) <= cells {
        return text.to_string();
    }
    let Some(room) = cells.checked_sub(1) else {
        return String::new();
    };
    let mut kept = Vec::new();
    let mut used = 0;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        kept.push(c);
        used += w;
    }
    std::iter::once('…').chain(kept.into_iter().rev()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_never_splits_a_wide_character_and_ends_in_an_ellipsis() {
        assert_eq!(cut("成功", 4), "成功");
        assert_eq!(cut("成功了", 4), "成…");
        // Three cells: 成 takes two, the ellipsis one.
        assert_eq!(cut("成功了", 3), "成…");
        assert_eq!(cut("a成功", 3), "a…");
        assert_eq!(width(&cut("a成功", 3)), 2);
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 0), "");
        assert_eq!(cut("abc", 1), "…");
    }

    #[test]
    fn a_cut_at_the_start_keeps_the_end_and_never_splits_a_wide_character() {
        assert_eq!(cut_start("/srv/exports/c.csv", 8), "…s/c.csv");
        assert_eq!(cut_start("c.csv", 5), "c.csv");
        assert_eq!(cut_start("了成功", 4), "…功");
        assert_eq!(cut_start("abc", 1), "…");
        assert_eq!(cut_start("abc", 0), "");
        let layout = Layout::fit(
            &["A", "PATH"],
            &[1, 18],
            &[GiveWay::ShortenKeepingEnd("PATH", 4)],
            11,
        );
        assert_eq!(
            layout.line(&["x".into(), "/srv/exports/c.csv".into()]),
            "x  …s/c.csv"
        );
    }

    #[test]
    fn a_table_that_fits_is_left_whole() {
        let layout = Layout::fit(&["A", "B"], &[3, 4], &[GiveWay::Drop("A")], 9);
        assert_eq!(layout, Layout::whole(&[3, 4]).with_limit(9));
        assert_eq!(layout.line(&["abc".into(), "成功".into()]), "abc  成功");
    }

    #[test]
    fn columns_give_way_in_order_and_only_as_far_as_needed() {
        let titles = ["WHEN", "ID", "DESC", "WHO"];
        let give_way = [
            GiveWay::Drop("WHO"),
            GiveWay::Shorten("DESC", 5),
            GiveWay::Drop("WHEN"),
        ];
        let natural = [10, 4, 12, 6];
        // 10+4+12+6 and three gaps: 38. At 30, WHO goes (30 left exactly).
        let at = |limit| Layout::fit(&titles, &natural, &give_way, limit).widths;
        assert_eq!(at(38), [Some(10), Some(4), Some(12), Some(6)]);
        assert_eq!(at(30), [Some(10), Some(4), Some(12), None]);
        // At 25 DESC is shortened by the 5 cells too many.
        assert_eq!(at(25), [Some(10), Some(4), Some(7), None]);
        // At 20 DESC cannot go below 5, so WHEN goes, and DESC has its whole width again.
        assert_eq!(at(20), [None, Some(4), Some(12), None]);
        assert_eq!(at(15), [None, Some(4), Some(9), None]);
        // Nothing left to give: every line is cut at the edge.
        let layout = Layout::fit(&titles, &natural, &give_way, 8);
        let line = layout.line(&["x".into(), "ID12".into(), "成功成功".into(), "w".into()]);
        assert_eq!(line, "ID12  …");
        assert!(width(&line) <= 8);
    }

    #[test]
    fn a_cell_wider_than_its_column_is_cut_to_it_and_the_columns_stay_aligned() {
        let layout = Layout::fit(&["A", "B"], &[4, 3], &[], 20);
        let first = layout.line(&["成功成功".into(), "x".into()]);
        let second = layout.line(&["ab".into(), "y".into()]);
        assert_eq!(first, "成…   x");
        assert_eq!(second, "ab    y");
        assert_eq!(first.find('x').map(|i| width(&first[..i])), Some(6));
    }

    impl Layout {
        fn with_limit(mut self, limit: usize) -> Layout {
            self.limit = Some(limit);
            self
        }
    }
}
