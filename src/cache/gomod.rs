//! The directives of a go.mod file that modlens reads without asking go: `go`, `require` and
//! `replace`, one per line or in blocks, with comments and quotes dropped. Anything else (and
//! any line that does not parse) is skipped, since go's own parser is the judge of validity.

use super::ModuleKey;

/// What a go.mod says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoModFile {
    /// The `go` line's version, if any.
    pub go: Option<String>,
    /// Every requirement.
    pub requires: Vec<ModuleKey>,
    /// The module paths that `replace` directives replace (any version of them, or one).
    pub replaced: Vec<String>,
}

/// Reads the directives of go.mod `text`.
pub fn parse(text: &str) -> GoModFile {
    let mut out = GoModFile::default();
    let mut block: Option<&str> = None;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        let (verb, spec) = match block {
            Some(_) if line == ")" => {
                block = None;
                continue;
            }
            Some(verb) => (verb, line),
            None => {
                let Some((verb, rest)) = line.split_once([' ', '\t']) else {
                    continue;
                };
                let rest = rest.trim();
                if rest == "(" {
                    block = Some(match verb {
                        "require" => "require",
                        "replace" => "replace",
                        _ => "other",
                    });
                    continue;
                }
                (verb, rest)
            }
        };
        let mut words = spec.split_whitespace().map(|w| w.trim_matches('"'));
        match (verb, words.next(), words.next()) {
            ("go", Some(version), _) => out.go = Some(version.to_owned()),
            ("require", Some(path), Some(version)) => out.requires.push(ModuleKey {
                path: path.to_owned(),
                version: version.to_owned(),
            }),
            ("replace", Some(path), Some(_)) => out.replaced.push(path.to_owned()),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_are_read_in_lines_and_blocks() {
        let parsed = parse(
            "module example.com/p // the main module\n\ngo 1.21\n\n\
             require example.com/a v1.0.0\nrequire (\n\t\"example.com/b\" v1.2.0 // indirect\n\
             \texample.com/c v0.1.0\n)\nreplace example.com/c => ../c\n\
             replace (\n\texample.com/d v1.0.0 => example.com/e v1.0.0\n)\nexclude example.com/f v1.0.0\n",
        );
        assert_eq!(parsed.go.as_deref(), Some("1.21"));
        let required: Vec<String> = parsed.requires.iter().map(|k| k.to_string()).collect();
        assert_eq!(
            required,
            [
                "example.com/a@v1.0.0",
                "example.com/b@v1.2.0",
                "example.com/c@v0.1.0"
            ]
        );
        assert_eq!(parsed.replaced, ["example.com/c", "example.com/d"]);
    }
}
