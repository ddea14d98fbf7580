//! "Did you mean ...?" suggestions.

/// The closest candidate to `name`, when one is close enough to be a likely typo: within
/// an edit distance of a third of the name's length, or with the same last part
/// (`read` for `fs.read`, `txt.len` for `text.len`).
///
/// Candidates rank by the edit distance over the whole name, namespace and tool
/// (`txt.len` is one edit from `text.len`, three from `list.len`); ties go to the
/// nearest namespace, then to the alphabetically first, so suggestions are
/// deterministic.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let (namespace, short) = split(name);
    let mut best: Option<((usize, usize), &str)> = None;
    for cand in candidates {
        let d = strsim::levenshtein(name, cand);
        let (cand_namespace, cand_short) = split(cand);
        if d > limit && short != cand_short {
            continue;
        }
        let rank = (d, strsim::levenshtein(namespace, cand_namespace));
        if best.is_none_or(|(br, bc)| rank < br || (rank == br && cand < bc)) {
            best = Some((rank, cand));
        }
    }
    best.map(|(_, c)| c)
}

/// `text.len` as (`text`, `len`); a name without a dot has an empty namespace.
fn split(name: &str) -> (&str, &str) {
    name.rsplit_once('.').unwrap_or(("", name))
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggestions() {
        let tools = ["fs.read", "fs.write", "text.len", "list.len"];
        assert_eq!(closest("fs.reed", tools), Some("fs.read"));
        assert_eq!(closest("file.read", tools), Some("fs.read"));
        assert_eq!(closest("read", tools), Some("fs.read"));
        assert_eq!(closest("net.fetch", tools), None);
        assert_eq!(closest("txt.len", tools), Some("text.len"));
        assert_eq!(closest("lst.len", tools), Some("list.len"));
        assert_eq!(
            closest("x.len", tools),
            Some("text.len"),
            "3 edits against 4"
        );
    }

    #[test]
    fn ties_go_to_the_nearest_namespace_then_the_alphabet() {
        // Two edits from each; the namespace `xy` is the given one.
        assert_eq!(closest("xy.cdef", ["ab.cdef", "xy.cdab"]), Some("xy.cdab"));
        // One edit from each, namespaces one edit away each: the alphabet decides.
        assert_eq!(
            closest("tet.len", ["text.len", "test.len"]),
            Some("test.len")
        );
    }
}
