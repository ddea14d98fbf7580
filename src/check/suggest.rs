//! "Did you mean ...?" suggestions.

/// The closest candidate to `name`, when one is close enough to be a likely typo.
/// Ties go to the alphabetically first, so suggestions are deterministic.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let short = name.rsplit('.').next().unwrap_or(name);
    let mut best: Option<(usize, &str)> = None;
    for cand in candidates {
        let mut d = strsim::levenshtein(name, cand);
        // `text.length` vs `text.len`, `read` vs `fs.read`: compare the last part too.
        let cand_short = cand.rsplit('.').next().unwrap_or(cand);
        if short == cand_short {
            d = d.min(1);
        }
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && cand < bc)) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggestions() {
        let tools = ["fs.read", "fs.write", "text.len", "list.len"];
        assert_eq!(closest("fs.reed", tools), Some("fs.read"));
        assert_eq!(closest("file.read", tools), Some("fs.read"));
        assert_eq!(closest("net.fetch", tools), None);
        assert_eq!(closest("x.len", tools), Some("list.len"));
    }
}
