//! Text from outside (Kanka's answers, a callback URL's parameters) made safe to show. It ends up
//! in the status file, the log, the window and `kanka-link status` in a terminal, where a control
//! character could move the cursor, recolour or rewrite what is on screen, and a bidirectional
//! override could make the text read differently from what it is. One helper, so every place
//! that shows such text filters it the same way.

/// Characters that change how the text around them is laid out rather than being text: the
/// bidirectional marks, embeddings, overrides and isolates (Unicode UAX #9), and the line and
/// paragraph separators a terminal may break a line on.
const LAYOUT_CONTROLS: &[char] = &[
    '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}',
    '\u{2067}', '\u{2068}', '\u{2069}', '\u{2028}', '\u{2029}', '\u{FEFF}',
];

/// Room for any message Kanka writes: league/oauth2-server 9's longest, the one of
/// `OAuthServerException::invalidRequest`, has 145 characters.
pub(crate) const MAX_MESSAGE: usize = 300;

/// Marks a text that was cut.
const CUT: char = '…';

/// `text` as it may be shown: control characters (C0, DEL, C1) and layout controls dropped,
/// outer whitespace trimmed, at most `max_chars` characters, the last one `…` when cut.
pub(crate) fn shown(text: &str, max_chars: usize) -> String {
    let kept: String = text.chars().filter(|c| !c.is_control() && !LAYOUT_CONTROLS.contains(c)).collect();
    let kept = kept.trim();
    if kept.chars().count() <= max_chars {
        return kept.to_owned();
    }
    let mut cut: String = kept.chars().take(max_chars.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push(CUT);
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_layout_controls_are_dropped() {
        assert_eq!(shown("\u{1b}[31mred\u{1b}[0m", 100), "[31mred[0m");
        assert_eq!(shown("one\nline\r\ttwo\u{7}\u{7f}", 100), "onelinetwo");
        // C1 controls: U+009B is a one-character CSI on some terminals.
        assert_eq!(shown("a\u{9b}2Jb\u{85}c", 100), "a2Jbc");
        assert_eq!(shown("invoice_\u{202E}fdp.exe\u{202C}", 100), "invoice_fdp.exe");
        assert_eq!(shown("\u{2066}x\u{2069}\u{200F}\u{2028}y", 100), "xy");
        assert_eq!(shown("  Sandbox Sage \u{1b} ", 100), "Sandbox Sage");
        // Letters, accents, emoji (with their joiners) and other scripts stay.
        assert_eq!(shown("Élise 👩‍🚀 خالد 李", 100), "Élise 👩‍🚀 خالد 李");
    }

    #[test]
    fn long_text_is_cut_and_says_so() {
        let long = "é".repeat(10_000);
        let cut = shown(&long, 300);
        assert_eq!(cut.chars().count(), 300);
        assert!(cut.ends_with('…') && cut.starts_with("éé"));
        assert_eq!(shown(&"a".repeat(300), 300), "a".repeat(300), "exactly the limit is not cut");
        assert_eq!(shown("a b c d", 4), "a b…");
        assert_eq!(shown("\u{1b}", 10), "");
    }
}
