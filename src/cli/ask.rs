//! Asking before a change: one yes/no question on the terminal, and a refusal without one.

use std::io::{BufRead, IsTerminal, Write};

/// Asks `question` on stderr (` [y/N] ` is appended) and says whether the answer was yes.
/// Without a terminal on stdin nobody can answer, so the command fails with `refusal`: a
/// script must say `--yes`.
pub(super) fn confirm(question: &str, refusal: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("{refusal}");
    }
    safe_eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
